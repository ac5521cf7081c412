"""Organisation: creditors (委托方) and their products, agencies, teams and users by role."""
