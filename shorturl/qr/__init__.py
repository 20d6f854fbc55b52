"""QR codes of short URLs: the image route and the route listing its download URLs."""
