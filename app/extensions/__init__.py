"""Hand-written routes layered on the generated ones; regeneration never touches them."""
