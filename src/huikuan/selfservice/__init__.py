"""The debtor's own page (债务人自助): see the debt, pay, plan, dispute, stop calls, complain."""
