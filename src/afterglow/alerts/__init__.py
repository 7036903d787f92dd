"""Safety alerts to the care team (issue 4 §5): raised by a PHQ-9 item 9 answer above
zero or a diary note the patient marks urgent, emailed to the clinical team and kept in
an inbox until someone acknowledges them."""
