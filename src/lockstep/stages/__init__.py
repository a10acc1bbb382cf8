"""One module per pipeline stage; each exposes a click ``command`` named after the stage."""
