"""Business logic behind the routes: pay, output attribution, reports, seeding."""
