"""The journeys of the portal, in headless Chromium against the demo server.

Each visited page is checked (axe-core, width ≤ viewport) at 390 and 1,280 px by `checker`; a
journey fails on its own steps and, at its end, on any page problem found on the way.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.e2e.conftest import DEMO_PASSWORD, SCREENSHOTS, copy_screenshot, render_first_page

pytestmark = [pytest.mark.e2e, pytest.mark.real_clock]

PASSWORD = "Bénévole-2026-solide"


def expect_no_problems(checker, first_check: int) -> None:
    found = checker.problems_since(first_check)
    assert not found, "\n".join(found)


def log_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/comptes/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def select_starting_with(page, selector: str, text: str) -> None:
    value = page.eval_on_selector(
        selector,
        "(select, text) => [...select.options].find(o => o.text.startsWith(text)).value",
        text,
    )
    page.select_option(selector, value)


def success_message(page) -> str:
    return page.locator(".messages").inner_text()


SETUP_VOLUNTEER_MISSIONS = """
import datetime, json
from django.utils import timezone
from volontaires.models import Assignment, Mission, VolunteerProfile
profile = VolunteerProfile.objects.get(user__email={email!r})
programme = profile.enrolments.first().programme
common = dict(programme=programme, mission_type=profile.mission_types.first(),
              quartier=profile.quartier, start_time=datetime.time(10), end_time=datetime.time(12))
today = timezone.localdate()
def next_weekday(weekday):
    day = today + datetime.timedelta(days=1)
    while day.weekday() != weekday:
        day += datetime.timedelta(days=1)
    return day
call = Mission.objects.create(title="Tri solidaire du samedi", origin="ville", volunteer_calls=True,
                              date=next_weekday(5), places=3, **common)
proposed = Mission.objects.create(title="Accueil à la maison de quartier", origin="ville",
                                  volunteer_calls=False, date=next_weekday(2), places=1, **common)
past = Mission.objects.create(title="Distribution de la semaine dernière", origin="ville",
                              volunteer_calls=False, date=today - datetime.timedelta(days=3),
                              places=1, **common)
Assignment.objects.create(mission=past, volunteer=profile, status="acceptee", source="agent",
                          proposed_at=timezone.now(), answered_at=timezone.now())
print(json.dumps({{"call": call.pk, "proposed": proposed.pk, "past": past.pk}}))
"""

PROPOSE = """
import json
from volontaires import proposals
from volontaires.models import Mission, VolunteerProfile
assignment = proposals.propose(Mission.objects.get(pk={mission}),
                               VolunteerProfile.objects.get(user__email={email!r}))
print(json.dumps({{"assignment": assignment.pk}}))
"""


COORDINATOR = "coordination.banque-alimentaire@demo.solidaren.fr"
ENDING_CONVENTION = """
import json
from django.contrib.auth import get_user_model
from django.utils import timezone
from conventions import campaign
user = get_user_model().objects.get(email={email!r})
ending = campaign.ending_within(timezone.localdate()).filter(
    association__coordinators=user).first()
print(json.dumps({{"pk": ending and ending.pk, "reference": ending and ending.reference}}))
"""


def test_resident_on_a_phone_finds_a_service_in_the_directory(portal, phone, checker):
    """Anyone, without an account: search the directory of services by need, open a
    service's page — on a 390 × 844 screen."""
    start = len(checker.checks)
    page = phone
    page.goto("/associations/services/")
    checker.check(page, "services")
    page.select_option("select[name=thematique]", "equipement-et-alimentation--alimentation")
    page.get_by_role("button", name="Chercher").click()
    page.wait_for_url("**thematique=equipement-et-alimentation--alimentation**")
    cards = page.locator("li.service-card")
    assert cards.count() >= 1
    found = page.locator(".result-count").inner_text()
    assert re.match(rf"{cards.count()} services?", found.strip()), found
    checker.check(page, "services-recherche")
    name = cards.first.locator("h2 a").inner_text()
    cards.first.locator("h2 a").click()
    page.wait_for_url(re.compile(r".*/associations/services/[\w-]+/$"))
    assert page.locator("h1").inner_text().strip() == name
    checker.check(page, "service", screenshot=True)
    expect_no_problems(checker, start)


def test_volunteer_on_a_phone_signs_up_takes_and_answers_missions(portal, phone, checker):
    """Sign up, confirm the e-mail from the link in the mail, complete the profile, see the
    missions they can take, apply, accept a proposal, cancel another mission, mark a past
    one done — on a 390 × 844 screen."""
    start = len(checker.checks)
    page = phone
    email = "nina.le-goff@exemple.fr"
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto("/")
    menu = page.get_by_role("button", name="Menu")
    directory = page.locator(".main-nav").get_by_role("link", name="Associations", exact=True)
    assert not directory.is_visible()  # folded behind the menu button on a phone
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    assert directory.is_visible()
    checker.check(page, "accueil")
    page.goto("/comptes/signup/")
    checker.check(page, "inscription")
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/comptes/confirm-email/")
    checker.check(page, "inscription-envoyee")

    mail = next(text for text in reversed(portal.mails()) if email in text)
    link = re.search(rf"{re.escape(portal.url)}/comptes/confirm-email/[^\s]+/", mail).group(0)
    page.goto(link)
    checker.check(page, "confirmation-courriel")
    page.locator("main form button[type=submit]").click()
    log_in(page, email, PASSWORD)
    page.goto("/volontaires/profil/")
    checker.check(page, "profil-nouveau")

    page.fill("input[name=first_name]", "Nina")
    page.fill("input[name=last_name]", "Le Goff")
    page.fill("input[name=phone]", "06 12 34 56 78")
    page.select_option("select[name=commune]", "Rennes")
    page.select_option("select[name=quartier]", label="Centre")
    page.check("input[name=languages][value=fr]")
    page.get_by_role("checkbox", name=re.compile("Renfort d.une association")).check()
    page.fill("input[name=max_missions_per_month]", "4")
    for programme in page.locator("input[name=programmes]").all():
        programme.check()
    for row, weekday in enumerate(["5", "2", "0"]):
        page.select_option(f"select[name=creneaux-{row}-weekday]", weekday)
        page.fill(f"input[name=creneaux-{row}-start_time]", "09:00")
        page.fill(f"input[name=creneaux-{row}-end_time]", "18:00")
    page.check("input[name=accept_charter]")
    page.check("input[name=accept_data_policy]")
    page.locator("main form.volunteer-form button[type=submit]").last.click()
    page.wait_for_url("**/volontaires/mon-espace/")
    checker.check(page, "mon-espace-nouveau")

    missions = portal.run(SETUP_VOLUNTEER_MISSIONS.format(email=email))
    page.goto("/volontaires/missions/")
    checker.check(page, "missions-ouvertes", screenshot=True)
    call = page.locator(f"form[action='/volontaires/missions/{missions['call']}/inscription/']")
    call.locator("button").click()
    page.wait_for_load_state()
    assert "Vous êtes inscrit·e sur « Tri solidaire du samedi »" in success_message(page)

    portal.run(PROPOSE.format(mission=missions["proposed"], email=email))
    page.goto("/volontaires/mon-espace/")
    checker.check(page, "mon-espace-proposition", screenshot=True)
    proposal = page.locator("article", has_text="Accueil à la maison de quartier").first
    proposal.get_by_role("button", name="J'accepte").click()
    page.wait_for_url(f"**/volontaires/missions/{missions['proposed']}/")
    assert "est acceptée" in success_message(page)
    checker.check(page, "mission-acceptee")

    page.goto(f"/volontaires/missions/{missions['call']}/")
    page.get_by_text("Je ne peux plus venir").click()
    page.get_by_label("Motif de l'annulation").fill("Un rendez-vous médical ce samedi-là")
    page.get_by_role("button", name="Annuler ma participation").click()
    page.wait_for_url("**/volontaires/mon-espace/")
    assert "l'équipe est prévenue" in success_message(page)

    page.goto(f"/volontaires/missions/{missions['past']}/")
    checker.check(page, "mission-a-declarer")
    page.fill("input[name=duration_minutes]", "90")
    page.fill("textarea[name=note]", "Tout s'est bien passé.")
    page.get_by_role("button", name="Déclarer la mission réalisée").click()
    page.wait_for_load_state()
    assert "Mission déclarée réalisée" in success_message(page)
    page.goto("/volontaires/mon-espace/")
    checker.check(page, "mon-espace", screenshot=True)
    copy_screenshot("mon-espace-proposition-390-ecran.png", "volontaire-telephone.png")
    expect_no_problems(checker, start)


def test_coordinator_on_a_phone_reports_downloads_and_calls_for_volunteers(portal, phone, checker):
    """Read the convention, fill and submit the yearly report, download the convention's
    PDF, post a call for volunteers — on a 390 × 844 screen."""
    start = len(checker.checks)
    page = phone
    log_in(page, COORDINATOR)
    checker.check(page, "accueil-coordination")

    page.goto("/conventions/")
    checker.check(page, "conventions")
    page.locator("main a", has_text="CPO-").first.click()
    page.wait_for_load_state()
    convention_url = page.url
    checker.check(page, "convention", screenshot=True)
    ending = portal.run(ENDING_CONVENTION.format(email=COORDINATOR))
    if ending["pk"]:  # the renewal campaign panel of a convention ending within 12 months
        page.goto(f"/conventions/{ending['pk']}/")
        panel = page.locator("section[aria-labelledby=campaign-title]")
        assert ending["reference"] in panel.inner_text()
        assert panel.locator("tbody tr td").last.locator("a").count() == 1  # the next step
        checker.check(page, "convention-renouvellement")

    page.goto("/conventions/comptes-rendus/")
    checker.check(page, "comptes-rendus")
    editable = None
    for link in page.locator("main a[href^='/conventions/comptes-rendus/']").all():
        href = link.get_attribute("href")
        if re.fullmatch(r"/conventions/comptes-rendus/\d+/", href or ""):
            page.goto(href)
            if page.locator("button[value=soumettre]").count():
                editable = href
                break
            page.go_back()
    assert editable, "no report to fill"
    checker.check(page, "compte-rendu-formulaire", screenshot=True)
    copy_screenshot(
        "compte-rendu-formulaire-390-ecran.png", "coordination-compte-rendu-telephone.png"
    )
    page.fill("input[name=beneficiaries_count]", "1250")
    page.fill("input[name=volunteers_count]", "85")
    page.locator("textarea[name='actions-0-actions']").fill("Distribution hebdomadaire.")
    page.locator("textarea[name='actions-0-results']").fill("1 250 foyers aidés.")
    page.locator("button[value=soumettre]").click()
    page.wait_for_load_state()
    if page.locator("[data-error-summary], .errorlist, .error").count():
        checker.check(page, "compte-rendu-erreurs")
    assert "soumis" in page.locator("main").inner_text().lower(), page.locator("main").inner_text()
    checker.check(page, "compte-rendu-soumis")

    page.goto(convention_url)
    page.locator("form[action$='/documents/generer/'] button").click()
    page.wait_for_url("**/conventions/documents/lots/**")
    page.get_by_text("terminé.").wait_for(timeout=60_000)
    checker.check(page, "lot-convention")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Télécharger le PDF")).first.click()
    assert download.value.suggested_filename.endswith(".pdf")
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    render_first_page(pdf, "convention-page-1")
    copy_screenshot("convention-page-1.png", "convention-pdf-page-1.png")

    page.goto("/volontaires/appels/nouveau/")
    checker.check(page, "appel-nouveau")
    page.select_option("select[name=programme]", label="Citoyennes et Citoyens Volontaires")
    page.locator("select[name=mission_type]").select_option(index=1)
    page.fill("input[name=title]", "Renfort pour la collecte de printemps")
    page.fill("textarea[name=description]", "Accueil des donateurs et tri des denrées.")
    page.select_option("select[name=commune]", "Rennes")
    page.fill("input[name=place]", "Magasin du Colombier")
    future = portal.run(
        "import datetime, json; from django.utils import timezone; "
        "print(json.dumps({'day': (timezone.localdate() + datetime.timedelta(days=20))"
        ".isoformat()}))"
    )
    page.fill("input[name=date]", future["day"])
    page.fill("input[name=start_time]", "09:00")
    page.fill("input[name=end_time]", "12:00")
    page.fill("input[name=places]", "4")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    if page.locator("[data-error-summary]").count():
        checker.check(page, "appel-erreurs")
        pytest.fail(page.locator("[data-error-summary], .error").first.inner_text())
    assert "Renfort pour la collecte de printemps" in page.locator("main").inner_text()
    checker.check(page, "appels")
    expect_no_problems(checker, start)


def test_staff_on_a_desktop_take_a_request_propose_and_follow_documents(portal, desktop, checker):
    """Take a resident's phone request, read the ranked (and excluded) candidates, propose a
    volunteer, run the batch, start a year's PDFs and see the progress reach done, open the
    dashboards and the back-office's convention form."""
    start = len(checker.checks)
    page = desktop
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, "agent@demo.solidaren.fr")
    page.goto("/volontaires/demandes/nouvelle/")
    checker.check(page, "demande-nouvelle")
    page.locator("main form button[type=submit]").last.click()  # empty: the error summary
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    checker.check(page, "demande-erreurs")

    page.select_option(
        "select[name=habitant-programme]", label="Citoyennes et Citoyens Volontaires"
    )
    page.fill("input[name=habitant-first_name]", "Josiane")
    page.fill("input[name=habitant-last_name]", "Ruellan")
    page.fill("input[name=habitant-phone]", "02 99 12 34 56")
    page.fill("input[name=habitant-address]", "4 rue de Brest")
    page.select_option("select[name=habitant-commune]", "Rennes")
    page.select_option("select[name=habitant-quartier]", label="Centre")
    page.fill("textarea[name=habitant-needs]", "Courses une fois par semaine.")
    page.check("input[name=habitant-consent]")
    select_starting_with(page, "select[name=mission-mission_type]", "Portage de courses")
    page.fill("textarea[name=mission-description]", "Courses au marché des Lices.")
    day = portal.run(
        "import datetime, json; from django.utils import timezone; "
        "print(json.dumps({'day': (timezone.localdate() + datetime.timedelta(days=6))"
        ".isoformat()}))"
    )["day"]
    page.fill("input[name=mission-date]", day)
    page.fill("input[name=mission-start_time]", "10:00")
    page.fill("input[name=mission-end_time]", "11:00")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r".*/volontaires/agents/missions/\d+/$"))
    # The ranked candidates: the top 20 at most, each with its explained score.
    ranked = page.locator("ol.staff-candidates > li")
    assert 1 <= ranked.count() <= 20, ranked.count()
    assert ranked.first.locator(".staff-score-parts li").count() >= 1
    chosen = ranked.first.locator(".staff-candidate-head strong").inner_text()
    # The excluded volunteers and their reasons: collapsed, loaded (htmx) when opened.
    excluded = page.locator("details.staff-excluded")
    assert excluded.get_attribute("open") is None
    excluded.locator("summary").click()
    excluded.locator(".staff-excluded-list").wait_for()
    reasons = excluded.locator(".staff-excluded-list li")
    assert reasons.count() >= 1
    assert re.search(r"\S+ : \S", reasons.first.inner_text()), reasons.first.inner_text()
    checker.check(page, "mission-candidats", screenshot=True)
    ranked.first.get_by_role("button", name="Proposer à ce volontaire").click()
    page.wait_for_load_state()
    assert f"Mission proposée à {chosen}" in success_message(page), success_message(page)
    assert chosen in page.locator("main table").first.inner_text()
    checker.check(page, "mission-proposee")

    page.goto("/volontaires/agents/missions/")
    checker.check(page, "missions-agents")
    started = time.monotonic()
    page.locator("form.staff-batch button").click()  # a Celery task: its progress page
    page.wait_for_url(re.compile(r".*/volontaires/agents/missions/attributions/\d+/$"))
    answered = time.monotonic() - started
    assert page.locator("#batch-progress progress").count() == 1
    first_seen = page.locator("#progress-text").inner_text().split(" — ")[0].strip()
    checker.check(page, "attribution-avancement")
    page.locator("#batch-progress table").wait_for(timeout=120_000)  # polled until done
    done = time.monotonic() - started
    result = page.locator("#batch-progress").inner_text()
    assert page.locator("#batch-progress progress").get_attribute("value") == "100"
    made = re.search(r"(\d+) propositions? faites? pour (\d+) mission", result)
    empty = re.search(r"(\d+) places? restent? vides?", result)
    assert made and empty, result
    rows = page.locator("#batch-progress tbody tr")
    assert rows.count() == int(made.group(2)), result
    empty_rows = [
        row.locator("td").last.inner_text()
        for row in rows.all()
        if row.locator("td").last.inner_text() != "—"
    ]
    assert sum(int(text.split(" — ")[0]) for text in empty_rows) == int(empty.group(1)), result
    assert all(" — " in text and text.split(" — ")[1].strip() for text in empty_rows), empty_rows
    checker.notes.append(
        f"e2e: batch assignment (demo, in-process): progress page after {answered:.1f} s "
        f"({first_seen}), result after {done:.1f} s: {made.group(1)} proposals for "
        f"{made.group(2)} open missions, {empty.group(1)} places left empty"
    )
    checker.check(page, "attribution-resultat", screenshot=True)

    page.goto("/conventions/tableau-de-bord/")
    # The renewal campaign panel: the summary card counts its conventions.
    campaign = page.locator("section[aria-labelledby=echeances] tbody tr")
    assert campaign.count() >= 1
    assert page.locator("a[href='#echeances'] strong").inner_text() == str(campaign.count())
    checker.check(page, "tableau-de-bord", screenshot=True)
    page.locator("figure.chart").first.scroll_into_view_if_needed()
    page.locator("figure.chart").first.screenshot(
        path=str(SCREENSHOTS / "tableau-de-bord-graphique.png")
    )
    copy_screenshot("tableau-de-bord-1280-ecran.png", "agents-tableau-de-bord.png")
    copy_screenshot("tableau-de-bord-graphique.png", "agents-tableau-de-bord-graphique.png")
    page.fill("form[action='/conventions/documents/annee/'] input[name=annee]", "2024")
    started = time.monotonic()
    page.locator("form[action='/conventions/documents/annee/'] button").click()
    page.wait_for_url("**/conventions/documents/lots/**")
    answered = time.monotonic() - started
    assert page.locator("progress").count() == 1
    page.get_by_text("terminé.").wait_for(timeout=120_000)
    done = time.monotonic() - started
    total = page.locator("progress").get_attribute("max")
    checker.notes.append(
        f"e2e: a year's {total} PDFs (demo, in-process): progress page shown after "
        f"{answered:.1f} s, all done after {done:.1f} s"
    )
    assert page.locator("progress").get_attribute("value") == page.locator(
        "progress"
    ).get_attribute("max")
    checker.check(page, "lot-annee", screenshot=True)

    page.goto("/volontaires/agents/bilan/")
    checker.check(page, "bilan-agents", screenshot=True)
    page.goto("/volontaires/bilan/")
    checker.check(page, "bilan-public")
    page.goto("/volontaires/agents/volontaires/")
    checker.check(page, "volontaires-a-verifier")

    convention = portal.run(
        "import json; from conventions.models import Convention; "
        "print(json.dumps({'pk': Convention.objects.order_by('-start_date').first().pk}))"
    )["pk"]
    page.goto(f"/back-office/conventions/convention/{convention}/change/")
    checker.check(page, "back-office-convention")
    expect_no_problems(checker, start)


def test_the_checks_reached_every_journey(checker):
    """Runs last (file order): the totals `make e2e` prints must cover the three journeys."""
    names = {check.name for check in checker.checks}
    assert {
        "service",
        "mon-espace",
        "compte-rendu-soumis",
        "attribution-resultat",
        "back-office-convention",
    } <= names, json.dumps(sorted(names))
