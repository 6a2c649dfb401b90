"""Demo bills with known ground truth, for the demo data, the tests and the benchmarks (pure).

``demo.render.render_bill("vat_invoice", seed=7)`` draws one bill of a type listed in
``demo.types.DEMO_TYPES``; ``demo.render.save_bill`` writes it as PNG/PDF plus a JSON of truth and
boxes. The package imports nothing itself: it is an installed app, and rendering needs Faker and
the fonts, which a web or queue worker never loads.
"""
