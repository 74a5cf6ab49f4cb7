"""What operators watch: the numbers ``/metrics`` reads from the database (issue 20 item 7)."""
