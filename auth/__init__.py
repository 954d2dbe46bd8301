"""Identity and ownership: who is calling, and which customer accounts they may reach."""
