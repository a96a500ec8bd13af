from dashboard.attribution import group_sources


def _src(title: str, date: str, url: str = "https://example.org/pop", city: str = "berlin") -> dict:
    return {"city": city, "title": title, "publisher": "AfS", "licence": "CC BY 4.0", "attribution": "AfS BB",
            "url": url, "reference_date": date}


def test_half_year_editions_become_one_entry_with_their_dates():
    sources = [_src(f"Einwohner je Planungsraum {y}-{h} – {t}", f"{y}-{'06-30' if h == '01' else '12-31'}")
               for y in (2021, 2022) for h in ("01", "02") for t in ("Einwohner, Ausländer", "Altersgruppen")]
    [entry] = group_sources(sources)
    assert entry["title"] == "Einwohner je Planungsraum"
    assert entry["count"] == 8
    assert entry["reference_dates"] == ["2021-06-30", "2021-12-31", "2022-06-30", "2022-12-31"]


def test_distinct_sources_stay_apart_and_keep_their_titles():
    sources = [_src("LOR 2021 – Planungsräume", "2021-01-01", url="https://gdi.berlin.de/lor"),
               _src("LOR 2021 – Bezirksregionen", "2021-01-01", url="https://gdi.berlin.de/lor"),
               _src("Kindertagesstätten Berlin", "2022-12-31", url="https://daten.berlin.de/kitas"),
               _src("Kindertagesstätten Berlin", "2022-12-31", url="https://daten.berlin.de/kitas", city="munich")]
    entries = group_sources(sources)
    assert [e["title"] for e in entries] == ["LOR 2021", "Kindertagesstätten Berlin", "Kindertagesstätten Berlin"]
    assert [e["city"] for e in entries] == ["berlin", "berlin", "munich"]
    assert entries[0]["reference_dates"] == ["2021-01-01"]


def test_titles_sharing_only_part_of_a_word_are_cut_at_the_word():
    [entry] = group_sources([_src("Monitoring Soziale Stadtentwicklung 2021 – Indizes", "2020-12-31"),
                             _src("Monitoring Soziale Stadtentwicklung 2021 – Index-Indikatoren", "2020-12-31")])
    assert entry["title"] == "Monitoring Soziale Stadtentwicklung 2021"


def test_an_assumed_reference_date_stays_marked_in_its_group():
    a = {**_src("Kitas München", "2024-12-31"), "reference_date_assumed": True}
    [entry] = group_sources([a, _src("Kitas München", "2024-12-31")])
    assert entry["reference_date_assumed"] is True
    [plain] = group_sources([_src("Kitas München", "2024-12-31")])
    assert plain["reference_date_assumed"] is False
