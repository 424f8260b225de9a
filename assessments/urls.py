from django.urls import path

from assessments import views

app_name = "assessments"

A = "organisations/<str:ods_code>/assessments/<int:year>/"

urlpatterns = [
    # /organisations/<ods>/assessments/
    path("organisations/<str:ods_code>/assessments/", views.assessment_list, name="list"),
    path("organisations/<str:ods_code>/assessments/new/", views.assessment_create, name="create"),
    # /organisations/<ods>/assessments/<year>/: set-up and workflow
    path(A, views.assessment_detail, name="detail"),
    path(A + "edit/", views.assessment_edit, name="edit"),
    path(A + "respondents/", views.respondents, name="respondents"),
    path(A + "respondents/<int:respondent_id>/remove/", views.respondent_remove, name="respondent-remove"),
    path(A + "remind/", views.remind, name="remind"),
    path(A + "open/", views.open_for_scoring, name="open"),
    path(A + "moderation/start/", views.start_moderation, name="start-moderation"),
    path(A + "sign-off/", views.sign_off, name="sign-off"),
    # .../score/: a director's own scores
    path(A + "score/", views.score_start, name="score-start"),
    path(A + "score/submit/", views.submit_response, name="submit"),
    path(A + "score/reopen/", views.reopen_response, name="reopen-response"),
    path(A + "score/line/<str:line_code>/", views.score_line, name="score-line"),
    path(A + "score/<str:section_code>/", views.score_section, name="score"),
    # .../moderate/: agreed scores and evidence
    path(A + "moderate/", views.moderate_start, name="moderate-start"),
    path(A + "moderate/line/<str:line_code>/", views.agreed_score, name="agreed-score"),
    path(A + "moderate/line/<str:line_code>/evidence/", views.evidence_add, name="evidence-add"),
    path(A + "moderate/<str:section_code>/", views.moderate_section, name="moderate"),
    path(A + "evidence/<int:evidence_id>/", views.evidence_file, name="evidence-file"),
    path(A + "evidence/<int:evidence_id>/remove/", views.evidence_remove, name="evidence-remove"),
    # .../actions/ and .../history/
    path(A + "actions/", views.actions, name="actions"),
    path(A + "actions/<int:action_id>/", views.action_edit, name="action-edit"),
    path(A + "history/", views.history, name="history"),
]
