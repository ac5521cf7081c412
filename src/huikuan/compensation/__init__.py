"""Money owed to people: agent commissions, agency fees and creditor remittances (issue 8)."""
