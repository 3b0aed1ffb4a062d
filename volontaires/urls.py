from django.urls import path

from volontaires.views import calls as call_views
from volontaires.views import figures as figure_views
from volontaires.views import personal_data as personal_data_views
from volontaires.views import staff as staff_views
from volontaires.views import training as training_views
from volontaires.views import volunteer as volunteer_views

app_name = "volontaires"

urlpatterns = [
    path("mon-espace/", volunteer_views.my_space, name="my_space"),
    # Volunteer side (views/volunteer.py)
    path("profil/", volunteer_views.profile, name="profile"),
    path("inscriptions/<int:pk>/pause/", volunteer_views.enrolment_pause, name="enrolment_pause"),
    path(
        "inscriptions/<int:pk>/reprise/",
        volunteer_views.enrolment_resume,
        name="enrolment_resume",
    ),
    path(
        "inscriptions/<int:pk>/desistement/",
        volunteer_views.enrolment_withdraw,
        name="enrolment_withdraw",
    ),
    path(
        "propositions/<int:pk>/accepter/",
        volunteer_views.proposal_accept,
        name="proposal_accept",
    ),
    path(
        "propositions/<int:pk>/decliner/",
        volunteer_views.proposal_decline,
        name="proposal_decline",
    ),
    path(
        "propositions/<int:pk>/realisee/",
        volunteer_views.assignment_complete,
        name="assignment_complete",
    ),
    path(
        "propositions/<int:pk>/annulation/",
        volunteer_views.assignment_cancel,
        name="assignment_cancel",
    ),
    path(
        "propositions/<int:pk>/garder-le-lien/",
        volunteer_views.keep_in_touch,
        name="keep_in_touch",
    ),
    path("missions/", volunteer_views.mission_list, name="mission_list"),
    path("missions/<int:pk>/", volunteer_views.mission_detail, name="mission_detail"),
    path("missions/<int:pk>/inscription/", volunteer_views.mission_apply, name="mission_apply"),
    path("calendrier/lien/", volunteer_views.calendar_token, name="calendar_token"),
    path("calendrier/<str:token>.ics", volunteer_views.calendar_feed, name="calendar_feed"),
    path("compte/suppression/", volunteer_views.account_delete, name="account_delete"),
    # Personal data (views/personal_data.py): exports, erasure, access log
    path("compte/mes-donnees.json", personal_data_views.account_export, name="account_export"),
    path(
        "agents/habitants/<int:pk>/donnees.json",
        personal_data_views.resident_export,
        name="staff_resident_export",
    ),
    path(
        "agents/habitants/<int:pk>/effacement/",
        personal_data_views.resident_erase,
        name="staff_resident_erase",
    ),
    path(
        "protection-des-donnees/journal/",
        personal_data_views.access_log,
        name="access_log",
    ),
    # Agents (views/staff.py): residents' requests, missions, proposals, volunteers
    path("demandes/nouvelle/", staff_views.request_new, name="staff_request_new"),
    path("agents/missions/", staff_views.mission_list, name="staff_missions"),
    path("agents/missions/attribuer/", staff_views.mission_batch, name="staff_mission_batch"),
    path(
        "agents/missions/attributions/<int:pk>/",
        staff_views.batch_run,
        name="staff_batch_run",
    ),
    path(
        "agents/missions/attributions/<int:pk>/avancement/",
        staff_views.batch_run_progress,
        name="staff_batch_run_progress",
    ),
    path("agents/missions/<int:pk>/", staff_views.mission_detail, name="staff_mission"),
    path(
        "agents/missions/<int:pk>/proposer/",
        staff_views.mission_propose_best,
        name="staff_mission_propose_best",
    ),
    path(
        "agents/missions/<int:pk>/proposer/<int:volunteer_pk>/",
        staff_views.mission_propose,
        name="staff_mission_propose",
    ),
    path(
        "agents/propositions/<int:pk>/realisee/",
        staff_views.assignment_complete,
        name="staff_assignment_complete",
    ),
    path("agents/volontaires/", staff_views.volunteer_list, name="staff_volunteers"),
    path("agents/volontaires/<int:pk>/", staff_views.volunteer_detail, name="staff_volunteer"),
    path(
        "agents/volontaires/<int:pk>/verification/",
        staff_views.volunteer_verify,
        name="staff_volunteer_verify",
    ),
    # Calls for volunteers: coordinators (their associations) and agents (city events)
    path("appels/", call_views.call_list, name="calls"),
    path("appels/nouveau/", call_views.call_new, name="call_new"),
    path("appels/<int:pk>/", call_views.call_detail, name="call"),
    # Training path (parcours citoyen)
    path("formations/", training_views.session_list, name="training"),
    path(
        "formations/<int:pk>/inscription/",
        training_views.session_register,
        name="training_register",
    ),
    path(
        "formations/<int:pk>/desinscription/",
        training_views.session_unregister,
        name="training_unregister",
    ),
    path("agents/formations/", training_views.staff_session_list, name="staff_training"),
    path(
        "agents/formations/<int:pk>/",
        training_views.staff_session,
        name="staff_training_session",
    ),
    # Figures: public page and JSON, agents' dashboard
    path("bilan/", figure_views.public_figures, name="figures"),
    path("bilan.json", figure_views.figures_json, name="figures_json"),
    path("agents/bilan/", figure_views.staff_figures, name="staff_figures"),
]
