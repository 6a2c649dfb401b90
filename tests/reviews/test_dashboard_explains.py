"""The dashboard explains itself: titled charts with axes and legends, field kinds by their names,
review and correction rates per model version over time, numbers that lead to what is behind."""

from __future__ import annotations

from documents.models import Field
from recognition import registry
from reviews.dashboard import rates_per_version
from tests.factories import document_with_fields
from tests.finetune.clerking import decide


def test_rates_per_version_are_shares_per_day(demo_types, clerk):
    doc = document_with_fields(
        demo_types["bank_slip"],
        {
            "payer_name": ("张伟", 0.5, ["low_confidence"]),
            "amount": ("1.00", 0.99, []),
            "amount_in_words": ("壹元整", 0.5, ["low_confidence"]),
        },
    )
    version = registry.active_version("general")
    Field.objects.filter(document=doc).update(model_version=version)
    fields = list(doc.fields.order_by("spec__order"))
    decide(fields[0], clerk, "张伟")
    decide(fields[2], clerk, "壹元整")
    series = rates_per_version(Field.objects.all())
    review = series[f"{version.name} review"]
    assert len(review) == 1 and abs(review[0][1] - 2 / 3) < 1e-9
    assert series[f"{version.name} corrected"][0][1] == 0.0


def test_the_page_names_its_charts_axes_and_kinds(client, supervisor, demo_types, clerk):
    doc = document_with_fields(demo_types["bank_slip"], {"amount": ("1.00", 0.5, ["low"])})
    decide(doc.fields.get(), clerk, "1.50")
    client.force_login(supervisor)
    page = client.get("/review/dashboard/").content.decode()
    assert "Documents received per day" in page and "Fields read per day" in page
    assert "Review rate and correction rate per day" in page
    assert 'class="chart-title"' in page and ">day<" in page and ">documents<" in page
    assert "Amount (figures)" in page, "field kinds by their human names"
    assert "/review/?kind=amount" in page, "a kind leads to its fields in the queue"
