"""Every word kpibot says, in English and French: answers, digests, alerts, buttons, modals.

`word(key, language)` gives a label; `say(key, language, **values)` fills a sentence's
placeholders. Dates are written with `when(instant, pattern, language)` (weekday and month
names in the language, whatever the machine's locale). The engine's refusals carry a code and
parameters (`kpis.question.QUESTION_REASONS`, `kpis.periods.PERIOD_REASONS`): `reason` says
them in the user's language. `tests/test_i18n.py` checks that both languages have every key
with the same placeholders.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from kpis.catalogue import UnknownKpi
from kpis.periods import PERIOD_REASONS, PeriodError, UnknownTimezone
from kpis.question import QUESTION_REASONS, QuestionError, UnknownAttribute
from kpis.result import FEWER_THAN_FIVE, NO_DATA, ZERO_DENOMINATOR

Language = str

_EN: dict[str, str] = {
    # --- answers -------------------------------------------------------------------------
    "value": "Value",
    "previous": "Previous period",
    "change": "Change",
    "ci": "95% confidence interval",
    "n": "Sample size",
    "no_previous": "no data",
    "low_sample": "⚠️ Fewer than 30 answers: read this figure with care.",
    "promoters": "Promoters",
    "passives": "Passives",
    "detractors": "Detractors",
    "median": "median",
    "filters": "Filters",
    "period": "Period",
    "by": "by",
    "vs": "vs",
    "usage_title": "How to ask kpibot",
    "error": "Sorry, I can't answer that",
    "did_you_mean": "Did you mean",
    "refused": "You can't ask kpibot for KPIs here",
    "working": "⏳ Crunching the numbers… the answer will follow here.",
    "catalogue": "KPI catalogue",
    "more": "More: `/kpi help` · `/kpi list`",
    "guest": "guests and single-channel guests can't read kpibot's KPIs",
    "external": "people from other organisations (Slack Connect) can't read kpibot's KPIs",
    "not_viewer": "only the people listed in KPIBOT_VIEWERS can ask",
    "not_sharer": "only the people listed in KPIBOT_SHARERS can share answers in the channel",
    "not_admin_listed": "only the people listed in KPIBOT_ADMINS can change digests and alerts",
    "not_admin": "only workspace admins and owners can change digests and alerts "
    "(or set KPIBOT_ADMINS)",
    "failed": "Something went wrong while answering; the error was logged",
    "failed_id": "Something went wrong while answering (error {id}); the error was logged "
    "under that id",
    "colon": ": ",
    "examples": "Examples",
    "periods": "Periods",
    "groups": "Groups",
    "default": "default",
    "private": "Answers are private; add `share` to post in the channel, `chart` for a chart.",
    "help_list": "`/kpi list` shows every KPI.",
    "help_digests": "`/kpi digest add #channel` posts a weekly digest there (`/kpi digest help`).",
    "help_alerts": "`/kpi alert detractors #channel @lead` pings a lead when a detractor "
    "answers (`/kpi alert help`).",
    "help_text": "How to ask kpibot: /kpi <kpi> [period] [filters] [by attribute]",
    "counters": "Any counter name also answers as its own sum.",
    "unknown_command": "unknown command {command} (kpibot has {known})",
    "bad_kpi": "unknown KPI '{text}'{hint}",
    "bad_attribute": "unknown attribute '{name}'{hint}",
    "bad_period": "{reason}: '{text}'",
    "unknown_period": "{reason}: '{text}'",
    "bad_word": "{reason}: '{token}'",
    "unexpected_word": "{reason}: '{token}'",
    "did_you_mean_hint": " (did you mean {names}?)",
    # --- plain words ------------------------------------------------------------------------
    "understood_as": "🔎 Understood as `{command}`",
    "read_as": " (“{typed}” read as “{read}”)",
    "words_title": "I'm not sure what you are asking",
    "words_nothing": "I found no question in that.",
    "words_no_kpi": "Which KPI? I recognised none.",
    "words_several_kpis": "That names several KPIs ({kpis}): one at a time, please.",
    "words_several_periods": "That names several periods ({periods}): each answer already "
    "compares its period with the one before.",
    "words_ambiguous_value": "“{value}” is a value of several attributes ({attributes}): "
    "which one?",
    "words_same_attribute": "Several values of one attribute: kpibot filters on one value at a "
    "time (`by {name}` compares them).",
    "words_unknown_words": "I didn't understand {words}.",
    "words_understood": "Understood",
    "words_understood_nothing": "nothing I can answer yet",
    "words_kpi": "KPI",
    "words_closest": "Closest commands (click one, or copy it)",
    "words_ask": "Ask",
    "words_examples_title": "Ask in plain words",
    "words_examples": "`/kpi what's our NPS for enterprise customers last month?`\n"
    "`/kpi how many tickets yesterday by channel?`\n"
    "`/kpi top 3 teams by csat last quarter`\n"
    "`/nps last 30 days excluding email`",
    "words_where": "Ask `@kpibot` the same in a channel (answered in the thread) or in a direct "
    "message to kpibot (answered there, privately). French works too: `/kpi nps mois dernier "
    "par canal`.",
    "words_periods": "or in words: `last 30 days`, `past 90 days`, `this month`, `in March`, "
    "`since Monday`",
    "words_filters": "`excluding channel=email`, `top 3`",
    "help_conversation": "`@kpibot` in a channel, or a direct message to kpibot, answers the "
    "same questions in plain words.",
    # --- formatting ------------------------------------------------------------------------
    "better": "better",
    "worse": "worse",
    "no_change": "no change",
    "changed": "changed",
    "significant": ", significant",
    "not_significant": ", not significant",
    "pts": " pts",
    "day_unit": "d",
    "reason_no_data": NO_DATA,
    "reason_zero": ZERO_DENOMINATOR,
    "reason_fewer_than_five": FEWER_THAN_FIVE,
    "terminal_split": "promoters {p} · passives {s} · detractors {d}",
    "terminal_ci": "95% CI",
    "terminal_previous": "previous",
    "terminal_low_sample": "⚠ fewer than 30 answers: read with care",
    "terminal_by": "by {name}:",
    # --- shared by the management commands ---------------------------------------------------
    "cannot_do": "Sorry, I can't do that: {message}",
    "unexpected": "unexpected word '{token}'",
    "kpi_unknown": "unknown KPI '{text}'{hint}",
    "tz_unknown": "unknown timezone '{tz}' (IANA names, e.g. Europe/Paris, UTC)",
    "never": "never",
    # --- digests -------------------------------------------------------------------------------
    "digest_title_weekly": "Weekly digest",
    "digest_title_daily": "Daily digest",
    "digest_title_monthly": "Monthly digest",
    "digest_title_cron": "Digest",
    "digest_no_data": "No survey responses or tickets in this period: nothing to report.",
    "digest_comments": "Detractors' comments",
    "digest_support": "Support",
    "digest_created": "tickets created",
    "digest_median_frt": "median first response",
    "digest_backlog": "backlog",
    "digest_loop": "detractor loops closed",
    "digest_time_to_close": "time to close",
    "digest_more": "Ask for more: `/kpi nps {period} by channel` · `/kpi help`",
    "digest_late": "⏰ Posted late: this digest was due {at}.",
    "digest_chart": "📈 Trend chart in the thread.",
    "digest_preview": "👀 Preview, only visible to you: the next digest as it would read now.",
    "digest_segment": "Segment",
    "digest_unavailable": "unavailable",
    "digest_customer": "customer {id}",
    "digest_usage_title": "*Scheduled digests*",
    "digest_usage_text": "Digest commands",
    "digest_usage": "`/kpi digest add #channel [weekly|daily|monthly] [mon 09:00] "
    '[tz=Europe/Paris] [kpis=nps,csat,frt,fcr] [attribute=value …]` (or `cron="0 9 * * 1"`)\n'
    "`/kpi digest list` · `/kpi digest preview ID` · `/kpi digest pause|resume|remove ID`",
    "digest_cannot_change": ":no_entry: You can't change digests: {reason}.",
    "digest_unknown_command": "unknown digest command '{verb}'",
    "digest_which": "which digest? give its ID (see `/kpi digest list`)",
    "digest_not_id": "'{text}' is not a digest ID (see `/kpi digest list`)",
    "digest_day_of_month": "day of the month '{text}' must be 1–28",
    "digest_needs_channel": "name the channel to post in: `/kpi digest add #channel …`",
    "digest_cron_or_readable": 'give either cron="…" or a readable schedule, not both',
    "digest_invite": "invite me first: `/invite @kpibot` in <#{channel}>, then add the digest "
    "again",
    "digest_cannot_see": "I can't see <#{channel}>: it is private and I'm not in it; {invite}",
    "digest_slack_silent": "Slack would not tell me about <#{channel}> ({error})",
    "digest_archived": "<#{channel}> is archived",
    "digest_private": "<#{channel}> is private and I'm not in it; {invite}",
    "digest_added": ":white_check_mark: Digest *#{id}* added for <#{channel}>: {schedule}, "
    "{kpis}{filters}. First one: {when}. `/kpi digest preview {id}` shows it now.",
    "digest_removed": ":wastebasket: Digest *#{id}* removed.",
    "digest_paused": ":double_vertical_bar: Digest *#{id}* paused.",
    "digest_resumed": ":arrow_forward: Digest *#{id}* resumed.",
    "digest_paused_from_slack": "paused from Slack",
    "digest_missing": "no digest #{id} (see `/kpi digest list`)",
    "digest_late_mark": " (late)",
    "digest_chart_failed": " (chart failed)",
    "digest_line_paused": "paused: {reason}",
    "digest_line_paused_default": "paused",
    "digest_line_next": "next: {when}",
    "digest_line_last": "last: {delivery}",
    "digest_none": "No digests yet. ",
    "digest_list_title": "Scheduled digests",
    "digest_count": "{n} digests",
    "digest_status_claimed": "claimed",
    "digest_status_sent": "sent",
    "digest_status_failed": "failed",
    "digest_status_unknown": "unknown",
    "digest_status_missed": "missed",
    "digest_gone_not_in_channel": "kpibot was removed from the channel",
    "digest_gone_channel_not_found": "the channel no longer exists or kpibot cannot see it",
    "digest_gone_is_archived": "the channel was archived",
    "digest_gone_other": "Slack refused the post ({error})",
    "digest_paused_dm": "Your kpibot digest #{id} is paused: {reason}. Invite kpibot back with "
    "`/invite @kpibot`, then `/kpi digest resume {id}`.",
    "digest_chart_title_weekly": "Last 12 weeks",
    "digest_chart_title_daily": "Last 12 days",
    "digest_chart_title_monthly": "Last 12 months",
    "digest_chart_title_cron": "Last 12 periods",
    "digest_chart_file": "kpibot trend",
    "chart_unit_nps": "score (−100…100)",
    "chart_unit_percent": "%",
    "chart_unit_seconds": "hours",
    "chart_unit_score": "mean score",
    "chart_unit_count": "count",
    "chart_unit_money": "amount",
    "schedule_cron": "cron `{cron}` ({tz})",
    "schedule_weekly": "weekly, {day} {at} ({tz})",
    "schedule_monthly": "monthly, day {day} at {at} ({tz})",
    "schedule_daily": "daily at {at} ({tz})",
    "schedule_dow_step": "bad day-of-week step in '{part}'",
    "schedule_dow_bad": "bad day of week '{text}' (0–7 or sun…sat)",
    "schedule_dow_backwards": "day-of-week range '{part}' runs backwards",
    "schedule_fields": "cron needs 5 fields (minute hour day month weekday), got {count}: '{cron}'",
    "schedule_bad_cron": "bad cron expression '{cron}': {error}",
    "schedule_bad_time": "bad time '{at}' (use HH:MM, e.g. 09:00)",
    "schedule_no_weekday": "a {cadence} digest takes no weekday ('{day}')",
    "schedule_dom_monthly": "a day of the month needs 'monthly'",
    "schedule_no_earlier": "cron '{cron}' has no earlier fire time",
    # --- alerts ----------------------------------------------------------------------------
    "alert_customer": "customer `{id}`",
    "verdict_high": "satisfied",
    "verdict_middle": "neutral",
    "verdict_low": "dissatisfied",
    "alert_previous_answers": "Previous answers: {answers}",
    "alert_first_answer": "First answer from this customer",
    "alert_open_tickets": "Open tickets: {count} ({tickets})",
    "alert_no_open_tickets": "No open tickets",
    "alert_claimed_by": ":raising_hand: Claimed by <@{user}> {when}",
    "alert_resolved_by": ":white_check_mark: Resolved by <@{user}> {when}{note}",
    "alert_no_action_by": ":heavy_minus_sign: No action needed, said <@{user}> {when}",
    "alert_button_claim": "Claim",
    "alert_button_resolve": "Resolved",
    "alert_button_no_action": "No action needed",
    "alert_detractor_text": "Detractor: {score}/{scale} {survey} {leads}",
    "alert_detractor_deleted_text": "Detractor alert {leads}",
    "alert_detractor_title": ":rotating_light: *Detractor* {leads}",
    "alert_answer_deleted": "(the answer was deleted)",
    "alert_answered": "Answered {when}",
    "alert_burst_title": "🚨 {count} detractors in a minute",
    "alert_burst_hint": "{leads} each one can be claimed below",
    "alert_burst_deleted": "(answer deleted)",
    "alert_recovered": "✅ {name} {period} is back: {value} (rule {rule})",
    "alert_breached": "📉 {name} {period} is {value}: {what} (rule {rule})",
    "alert_rule_context": "n = {n} · rule #t{id} · `/kpi alert list`",
    "alert_what_below": "below {threshold}",
    "alert_what_above": "above {threshold}",
    "alert_what_drop": "down {drop} points from {previous}",
    "alert_reminder": ":alarm_clock: {leads} this detractor has not been claimed yet. Claim it "
    "above if you are calling the customer back.",
    "alert_modal_title": "Resolve the alert",
    "alert_modal_submit": "Resolve",
    "alert_modal_cancel": "Cancel",
    "alert_modal_label": "What was done?",
    "alert_modal_placeholder": "Called the customer back, refunded…",
    "alert_modal_needs_note": "A short note, please.",
    "alert_taken": "This alert was already {what} by <@{user}>.",
    "alert_taken_claimed": "claimed",
    "alert_taken_resolved": "resolved",
    "alert_taken_no_action": "closed (no action needed)",
    "alert_cannot_act": "You can't act on kpibot alerts: {reason}.",
    "alert_usage_title": "*Alerts*",
    "alert_usage": "`/kpi alert detractors #channel @lead|@group [survey=nps,csat] "
    "[attribute=value …]`\n"
    "`/kpi alert when nps last-7d < 30 #channel [@lead]` (`<`, `>`, `below`, `above`, "
    "`drops-by N`)\n"
    "`/kpi alert list` · `/kpi alert remove d1|t1`",
    "alert_cannot_change": ":no_entry: You can't change alerts: {reason}.",
    "alert_unknown_command": "unknown alert command '{verb}'",
    "alert_needs_channel": "name the channel to post in, e.g. `#support-leads`",
    "alert_needs_lead": "mention the lead(s) to ping: `@lead` or `@support-leads`",
    "alert_enps_anonymous": "eNPS answers are anonymous: they never raise an alert of their own "
    "(a threshold rule on eNPS works: `/kpi alert when enps last-30d < 10 …`)",
    "alert_unknown_survey": "unknown survey '{survey}' (nps, csat or ces)",
    "alert_route_added": ":white_check_mark: Route *d{id}*: detractors of {surveys}{segment} "
    "go to <#{channel}>, mentioning {leads}.",
    "alert_segment": " where {filters}",
    "alert_say_when": "say when, e.g. `nps last-7d < 30`, `csat above 90%`, `frt this-week > "
    "4h` or `nps drops-by 10`",
    "alert_one_figure": "a rule watches one figure: no `by`",
    "alert_unknown_period": "unknown period '{period}'",
    "alert_rule_added": ":white_check_mark: Rule *t{id}*: `{rule}` is checked on every ingest "
    "and every 15 minutes; <#{channel}> hears once when it starts to hold and once when it "
    "recovers.",
    "alert_which": "which one? `d3` for a detractor route, `t2` for a rule",
    "alert_not_target": "'{text}' is not a route (d3) or rule (t2)",
    "alert_no_rule": "no rule t{id}",
    "alert_no_route": "no route d{id}",
    "alert_rule_removed": ":wastebasket: Rule *t{id}* removed.",
    "alert_route_removed": ":wastebasket: Route *d{id}* removed.",
    "alert_list_title": "Alerts",
    "alert_list_route": "*d{id}* detractors of {surveys}{segment} → <#{channel}> {leads}",
    "alert_list_no_routes": "No detractor routes.",
    "alert_list_holding": "holding :red_circle:",
    "alert_list_not_holding": "not holding",
    "alert_list_last": ", last {value}",
    "alert_list_rule": "*t{id}* `{rule}` → <#{channel}> ({state}{last})",
    "alert_list_no_rules": "No threshold rules.",
    "alert_list_open_title": "*Open detractor alerts, oldest first*",
    "alert_list_open": "• alert {id} in <#{channel}>: {state} for {age}{who}{delivery}",
    "alert_list_claimed_by": ", claimed by <@{user}>",
    "alert_list_delivery": " — delivery {status}",
    "alert_list_none_open": "None: every alert is closed.",
    "alert_list_summary": "{routes} routes, {rules} rules, {open} open alerts",
    "alert_state_open": "open",
    "alert_state_claimed": "claimed",
    "alert_status_pending": "pending",
    "alert_status_posting": "posting",
    "alert_status_failed": "failed",
    "alert_status_unknown": "unknown",
    "alert_status_erased": "withdrawn (the customer's data was erased)",
    # --- personal data and operations ----------------------------------------------------
    "privacy_comment_removed_erasure": "Comment removed: the customer asked for their data to "
    "be erased.",
    "privacy_comment_removed_retention": "Comment removed: it was older than the retention period.",
    "privacy_alert_removed_erasure": "Comment, customer id and free-text details removed: the "
    "customer asked for their data to be erased.",
    "privacy_alert_removed_retention": "Comment, customer id and free-text details removed "
    "after the retention period.",
    "db_unavailable": ":hourglass: kpibot's database is unavailable, try again in a minute.",
    "ops_opened": ":rotating_light: *kpibot needs a person*: {what}",
    "ops_resolved": ":white_check_mark: *Recovered* ({since}): {what}",
    "ops_digest": "digest #{id} to <#{channel}> could not be posted ({status}: {error}). "
    "`/kpi digest list` shows it; `kpibot digest send {id}` posts it after you checked the "
    "channel",
    "ops_digest_ok": "digest #{id} to <#{channel}> was posted again",
    "ops_alerts": "{count} alert(s) waited more than 10 minutes to be posted, the oldest since "
    "{since} (last error: {error})",
    "ops_alerts_ok": "every alert is posted again",
    "ops_connector": "{vendor} webhook deliveries keep failing: {count} in a row, the last "
    "{outcome} ({error})",
    "ops_connector_ok": "{vendor} webhook deliveries are stored again",
    "ops_token": "the Slack token stopped working ({error}): nothing can be posted until "
    "SLACK_BOT_TOKEN is fixed",
    "ops_token_ok": "the Slack token works again",
    "ops_redactions": "{count} Slack message(s) quoting erased personal data could not be "
    "redacted for over an hour (last error: {error})",
    "ops_redactions_ok": "every Slack message quoting erased data is redacted",
    # --- charts on demand and the Home tab ------------------------------------------------
    "chart_unit_minutes": "minutes",
    "chart_step_day": "day",
    "chart_step_week": "week",
    "chart_step_month": "month",
    "chart_caption": "{kpi}, {period}, by {step}",
    "chart_caption_by": ", one line per {name}",
    "chart_caption_last": "; last value {value} ({start})",
    "chart_caption_groups": "; last values: {values}",
    "chart_caption_empty": "; no value in this period",
    "chart_previous": "previous period",
    "chart_band": "95% confidence band",
    "chart_in_dm": "📈 The chart follows in your direct messages with kpibot.",
    "chart_in_channel": "📈 The chart follows in this channel.",
    "home_title": "Your KPIs at a glance",
    "home_last_7": "Last 7 days",
    "home_last_30": "Last 30 days",
    "home_significant": "significant",
    "home_not_significant": "not significant",
    "home_alerts": "Open detractor alerts",
    "home_no_alerts": "No open detractor alert.",
    "home_more_alerts": "…and {count} more in their channels.",
    "home_digests": "Digests of your channels",
    "home_no_digests": "No digest in the channels you are in.",
    "home_trend": "Trend over the last 12 weeks",
    "home_refused": "kpibot cannot show you its dashboard: {reason}.",
    "home_updated": "Updated {at} ({tz}); it refreshes when you open the tab after a minute.",
    "home_ask": "Ask anything with `/kpi help`, e.g. `/nps last-90d chart`.",
    "home_default_kpis": "the core CX set",
    "home_paused": "paused",
    "home_last_sent": "last sent {when}",
    # --- what moved it, and detractor themes (handlers.insights) ---------------------------
    "why_title": "What moved it",
    "why_word": "why",
    "why_share": "share",
    "why_rate": "its own value changed",
    "why_mix": "its share of answers changed",
    "why_rate_short": "own value",
    "why_mix_short": "mix",
    "why_significant": "significant",
    "why_not_significant": "not significant",
    "why_untested": "too few to test",
    "why_even": "No segment stands out: the change is spread evenly across {attributes}.",
    "why_change_not_significant": "⚠️ The change itself is not significant: these segments "
    "may be noise.",
    "why_not_decomposable": "{name} is not a share, a score or a mean: its change cannot be "
    "split by segment.",
    "why_no_previous": "No figure in the previous period: there is no change to explain.",
    "why_no_change": "No change against the previous period: nothing to explain.",
    "why_no_segments": "No attribute has enough data to split the change (two segments of 5 "
    "answers at least).",
    "digest_moved": "What moved",
    "alert_driver": "Driven by {driver}",
    "themes_title": "What {name} detractors talk about",
    "themes_count": "{count} detractors ({share})",
    "themes_change": "{change} vs the previous period",
    "themes_none": "No detractor comment in this period.",
    "themes_scattered": "{count} detractor comments, with no theme shared by enough of them.",
    "themes_context": "{total} detractor comments in the period ({previous} in the previous "
    "one); {other} in no theme. Grouped on this machine (TF-IDF and NMF), no text leaves it.",
    "themes_digest": "Themes",
    "themes_no_detractors": "{name} has no detractors: themes read NPS, CSAT or CES comments",
    "help_why": "`/nps last-30d why` says which segments moved the figure, by their own score "
    "or their weight (`pourquoi`).",
    "help_themes": "`/kpi themes nps last-30d` groups what detractors wrote into themes "
    "(`csat`, `ces`; `thèmes`).",
    # --- surveys ------------------------------------------------------------------------
    "help_surveys": "`/kpi survey enps #channel` asks each member, in a DM, the eNPS question; "
    "answers are anonymous (`/kpi survey help`).",
    "survey_usage_title": "*Surveys answered in Slack*",
    "survey_usage": "`/kpi survey enps #channel` (or `csat`) DMs every member of the channel "
    'the question with its scale as buttons; options `question="…"`, `team=NAME` (default: the '
    "channel's name), `closes=3d` (default 7d), `every=monthly|quarterly`\n"
    "`/kpi survey list` · `/kpi survey close ID` · `/kpi survey remove ID|P<pulse>`\n"
    "One answer per member and round, stored without their name; a reminder halfway through; "
    "the result is posted in the channel at the close from 5 answers.",
    "survey_cannot_change": "You can't open or close surveys: {reason}.",
    "survey_unknown_command": "`{verb}` is not a survey command",
    "survey_bad_closes": "`closes={text}`: say how long the round stays open, from 1h to 90d "
    "(e.g. `closes=3d`)",
    "survey_bad_team": "`team={text}` is not a team name (one word, no `=`)",
    "survey_bad_every": "`every={text}`: a pulse runs `every=monthly` or `every=quarterly`",
    "survey_needs_channel": "which channel? e.g. `/kpi survey enps #support`",
    "survey_opened": "Survey *#{id}* ({kind}) opened for <#{channel}> (team={team}): each member "
    "gets the question in a DM within minutes; it closes {closes}.\n> {question}",
    "survey_pulse_added": "Pulse *P{id}* repeats it {every} (`/kpi survey remove P{id}` stops it).",
    "survey_monthly": "monthly",
    "survey_quarterly": "quarterly",
    "survey_which": "which survey? give its number, e.g. `/kpi survey close 3`",
    "survey_not_id": "`{text}` is not a survey number",
    "survey_missing": "there is no survey #{id}",
    "survey_already_closed": "Survey #{id} is already closed.",
    "survey_closed_now": "Survey #{id} is closed: its result will be posted in its channel.",
    "survey_pulse_missing": "there is no pulse P{id}",
    "survey_pulse_removed": "Pulse P{id} removed; its past rounds and answers stay.",
    "survey_removed": "Survey #{id} removed; its answers stay (they are anonymous).",
    "survey_line_closed": "closed {when}",
    "survey_line_open": "open until {when}",
    "survey_line_sending": "sending",
    "survey_line_reminded": "{n} reminded",
    "survey_line_counts": "{answered}/{asked} answered{rate}",
    "survey_none": "No survey yet.",
    "survey_kind_enps": "eNPS",
    "survey_kind_csat": "CSAT",
    "survey_question_enps": "On a scale from 0 to 10, how likely are you to recommend {team} as "
    "a place to work to a friend?",
    "survey_question_csat": "How satisfied are you with {team}?",
    "survey_scale_enps": "{low} = not at all likely · {high} = extremely likely",
    "survey_scale_csat": "{low} = very dissatisfied · {high} = very satisfied",
    "survey_anonymous_note": ":lock: Anonymous: kpibot stores your answer without your name, "
    "once. Closes {closes}.",
    "survey_reminder_lead": ":wave: A reminder, in case you missed it:",
    "survey_dm_text": "A short survey: {question}",
    "survey_thanks": "Thank you, your answer is recorded (anonymously). The survey closes "
    "{closes}.",
    "survey_already_answered": "You already answered this survey, thank you. Your first answer "
    "stands.",
    "survey_round_closed": "This survey is closed: your click was not counted. Thank you all "
    "the same.",
    "survey_comment_refused": "This survey closed, or your answer already has a comment.",
    "survey_modal_title": "Thank you!",
    "survey_modal_submit": "Send",
    "survey_modal_close": "No comment",
    "survey_modal_intro": "Your answer is recorded. Anything to add? Comments are shown only "
    "pooled with the others, never with your name.",
    "survey_modal_label": "Comment (optional)",
    "survey_result_title": "{kind} survey · {team}",
    "survey_result_counts": "{answered} of {asked} answered ({rate})",
    "survey_result_withheld": "Too few answers to show a result: kpibot shows {kind} from "
    "{minimum} answers, so that nobody's answer can be recognised.",
    "survey_result_mean": "Mean score {mean}/5",
    "survey_result_previous": "Previous round: {value}",
    "survey_result_context": "Survey #{id} · {span} · anonymous answers (`/enps` and `/csat` "
    "read them with `team=` and `round=`)",
}

_FR: dict[str, str] = {
    # --- answers -------------------------------------------------------------------------
    "value": "Valeur",
    "previous": "Période précédente",
    "change": "Évolution",
    "ci": "Intervalle de confiance à 95 %",
    "n": "Taille d'échantillon",
    "no_previous": "pas de données",
    "low_sample": "⚠️ Moins de 30 réponses : chiffre à lire avec prudence.",
    "promoters": "Promoteurs",
    "passives": "Passifs",
    "detractors": "Détracteurs",
    "median": "médiane",
    "filters": "Filtres",
    "period": "Période",
    "by": "par",
    "vs": "contre",
    "usage_title": "Comment interroger kpibot",
    "error": "Désolé, je ne peux pas répondre à cela",
    "did_you_mean": "Vouliez-vous dire",
    "refused": "Vous ne pouvez pas demander de KPI à kpibot ici",
    "working": "⏳ Calcul en cours… la réponse suivra ici.",
    "catalogue": "Catalogue des KPI",
    "more": "Plus : `/kpi help` · `/kpi list`",
    "guest": "les invités ne peuvent pas consulter les KPI de kpibot",
    "external": "les personnes d'autres organisations (Slack Connect) ne peuvent pas "
    "consulter les KPI",
    "not_viewer": "seules les personnes listées dans KPIBOT_VIEWERS peuvent demander",
    "not_sharer": "seules les personnes listées dans KPIBOT_SHARERS peuvent partager",
    "not_admin_listed": "seules les personnes listées dans KPIBOT_ADMINS peuvent modifier "
    "les bilans et les alertes",
    "not_admin": "seuls les administrateurs et propriétaires de l'espace peuvent modifier "
    "les bilans et les alertes (ou définissez KPIBOT_ADMINS)",
    "failed": "Une erreur est survenue ; elle a été journalisée",
    "failed_id": "Une erreur est survenue (erreur {id}) ; elle a été journalisée sous ce numéro",
    "colon": "\u00a0: ",  # French puts a (no-break) space before a colon
    "examples": "Exemples",
    "periods": "Périodes",
    "groups": "Groupes",
    "default": "par défaut",
    "private": "Les réponses sont privées ; ajoutez `share` pour publier dans le canal, "
    "`graphique` pour un graphique.",
    "help_list": "`/kpi list` affiche tous les KPI.",
    "help_digests": "`/kpi digest add #canal` y publie un bilan hebdomadaire (`/kpi digest help`).",
    "help_alerts": "`/kpi alert detractors #canal @responsable` prévient un responsable "
    "quand un détracteur répond (`/kpi alert help`).",
    "help_text": "Comment interroger kpibot : /kpi <kpi> [période] [filtres] [by attribut]",
    "counters": "Tout nom de compteur répond aussi par sa propre somme.",
    "unknown_command": "commande inconnue {command} (kpibot connaît {known})",
    "bad_kpi": "KPI inconnu « {text} »",
    "bad_attribute": "attribut inconnu « {name} »",
    "bad_period": "« {text} » : {reason}",
    "unknown_period": "période non reconnue « {text} »",
    "bad_word": "« {token} » : {reason}",
    "unexpected_word": "mot inattendu « {token} »",
    "did_you_mean_hint": " (vouliez-vous dire {names} ?)",
    # --- plain words ------------------------------------------------------------------------
    "understood_as": "🔎 Compris : `{command}`",
    "read_as": " (« {typed} » lu « {read} »)",
    "words_title": "Je ne suis pas sûr de comprendre la question",
    "words_nothing": "Je n'y ai trouvé aucune question.",
    "words_no_kpi": "Quel KPI ? Je n'en ai reconnu aucun.",
    "words_several_kpis": "Cela nomme plusieurs KPI ({kpis}) : un à la fois, s'il vous plaît.",
    "words_several_periods": "Cela nomme plusieurs périodes ({periods}) : chaque réponse "
    "compare déjà sa période à la précédente.",
    "words_ambiguous_value": "« {value} » est une valeur de plusieurs attributs "
    "({attributes}) : lequel ?",
    "words_same_attribute": "Plusieurs valeurs d'un même attribut : kpibot filtre sur une "
    "valeur à la fois (`par {name}` les compare).",
    "words_unknown_words": "Je n'ai pas compris {words}.",
    "words_understood": "Compris",
    "words_understood_nothing": "rien à quoi je puisse répondre pour l'instant",
    "words_kpi": "KPI",
    "words_closest": "Commandes les plus proches (cliquez, ou copiez-en une)",
    "words_ask": "Demander",
    "words_examples_title": "Demandez avec vos mots",
    "words_examples": "`/kpi quel est le NPS des clients enterprise le mois dernier par canal ?`\n"
    "`/kpi combien de demandes hier par canal ?`\n"
    "`/kpi dmr cette semaine sauf email`\n"
    "`/nps 30 derniers jours`",
    "words_where": "Demandez la même chose à `@kpibot` dans un canal (réponse dans le fil) ou "
    "en message direct à kpibot (réponse là, en privé). L'anglais marche aussi : "
    "`/kpi nps last month by channel`.",
    "words_periods": "ou en mots : `30 derniers jours`, `mois dernier`, `cette semaine`, "
    "`2026-T1`, `mars`, `depuis lundi`",
    "words_filters": "`sauf canal=email`, `par canal`, `top 3`",
    "help_conversation": "`@kpibot` dans un canal, ou un message direct à kpibot, répond aux "
    "mêmes questions posées avec vos mots.",
    # --- formatting ------------------------------------------------------------------------
    "better": "mieux",
    "worse": "moins bien",
    "no_change": "stable",
    "changed": "variation",
    "significant": ", significatif",
    "not_significant": ", non significatif",
    "pts": "\u00a0pts",
    "day_unit": "j",
    "reason_no_data": "pas de données sur cette période",
    "reason_zero": "le dénominateur est nul",
    "reason_fewer_than_five": "moins de 5 réponses",
    "terminal_split": "promoteurs {p} · passifs {s} · détracteurs {d}",
    "terminal_ci": "IC à 95 %",
    "terminal_previous": "période précédente",
    "terminal_low_sample": "⚠ moins de 30 réponses : à lire avec prudence",
    "terminal_by": "par {name} :",
    # --- shared by the management commands ---------------------------------------------------
    "cannot_do": "Désolé, je ne peux pas faire cela : {message}",
    "unexpected": "mot inattendu « {token} »",
    "kpi_unknown": "KPI inconnu « {text} »{hint}",
    "tz_unknown": "fuseau horaire inconnu « {tz} » (noms IANA, par ex. Europe/Paris, UTC)",
    "never": "jamais",
    # --- digests -------------------------------------------------------------------------------
    "digest_title_weekly": "Bilan de la semaine",
    "digest_title_daily": "Bilan du jour",
    "digest_title_monthly": "Bilan du mois",
    "digest_title_cron": "Bilan",
    "digest_no_data": "Aucune réponse ni demande sur cette période : rien à signaler.",
    "digest_comments": "Commentaires des détracteurs",
    "digest_support": "Support",
    "digest_created": "demandes créées",
    "digest_median_frt": "délai médian de première réponse",
    "digest_backlog": "stock",
    "digest_loop": "boucles détracteurs fermées",
    "digest_time_to_close": "délai de clôture",
    "digest_more": "Pour aller plus loin : `/kpi nps {period} by channel` · `/kpi help`",
    "digest_late": "⏰ Publié en retard : ce bilan était prévu {at}.",
    "digest_chart": "📈 Graphique de tendance dans le fil.",
    "digest_preview": "👀 Aperçu visible de vous seul : le prochain bilan tel qu'il serait "
    "maintenant.",
    "digest_segment": "Segment",
    "digest_unavailable": "indisponible",
    "digest_customer": "client {id}",
    "digest_usage_title": "*Bilans programmés*",
    "digest_usage_text": "Commandes des bilans",
    "digest_usage": "`/kpi digest add #canal [weekly|daily|monthly] [mon 09:00] "
    '[tz=Europe/Paris] [kpis=nps,csat,frt,fcr] [attribut=valeur …]` (ou `cron="0 9 * * 1"`)\n'
    "`/kpi digest list` · `/kpi digest preview N` · `/kpi digest pause|resume|remove N`",
    "digest_cannot_change": ":no_entry: Vous ne pouvez pas modifier les bilans : {reason}.",
    "digest_unknown_command": "commande de bilan inconnue « {verb} »",
    "digest_which": "quel bilan ? donnez son numéro (voir `/kpi digest list`)",
    "digest_not_id": "« {text} » n'est pas un numéro de bilan (voir `/kpi digest list`)",
    "digest_day_of_month": "le jour du mois « {text} » doit être entre 1 et 28",
    "digest_needs_channel": "indiquez le canal où publier : `/kpi digest add #canal …`",
    "digest_cron_or_readable": 'donnez soit cron="…", soit un horaire lisible, pas les deux',
    "digest_invite": "invitez-moi d'abord : `/invite @kpibot` dans <#{channel}>, puis ajoutez "
    "le bilan à nouveau",
    "digest_cannot_see": "je ne vois pas <#{channel}> : il est privé et je n'y suis pas ; {invite}",
    "digest_slack_silent": "Slack ne m'a rien dit de <#{channel}> ({error})",
    "digest_archived": "<#{channel}> est archivé",
    "digest_private": "<#{channel}> est privé et je n'y suis pas ; {invite}",
    "digest_added": ":white_check_mark: Bilan *n°{id}* ajouté pour <#{channel}> : {schedule}, "
    "{kpis}{filters}. Premier envoi : {when}. `/kpi digest preview {id}` le montre dès "
    "maintenant.",
    "digest_removed": ":wastebasket: Bilan *n°{id}* supprimé.",
    "digest_paused": ":double_vertical_bar: Bilan *n°{id}* mis en pause.",
    "digest_resumed": ":arrow_forward: Bilan *n°{id}* repris.",
    "digest_paused_from_slack": "mis en pause depuis Slack",
    "digest_missing": "aucun bilan n°{id} (voir `/kpi digest list`)",
    "digest_late_mark": " (en retard)",
    "digest_chart_failed": " (graphique en échec)",
    "digest_line_paused": "en pause : {reason}",
    "digest_line_paused_default": "en pause",
    "digest_line_next": "prochain : {when}",
    "digest_line_last": "dernier : {delivery}",
    "digest_none": "Aucun bilan pour l'instant. ",
    "digest_list_title": "Bilans programmés",
    "digest_count": "{n} bilans",
    "digest_status_claimed": "en cours",
    "digest_status_sent": "envoyé",
    "digest_status_failed": "échoué",
    "digest_status_unknown": "incertain",
    "digest_status_missed": "manqué",
    "digest_gone_not_in_channel": "kpibot a été retiré du canal",
    "digest_gone_channel_not_found": "le canal n'existe plus ou kpibot ne le voit pas",
    "digest_gone_is_archived": "le canal a été archivé",
    "digest_gone_other": "Slack a refusé la publication ({error})",
    "digest_paused_dm": "Votre bilan kpibot n°{id} est en pause : {reason}. Réinvitez kpibot "
    "avec `/invite @kpibot`, puis `/kpi digest resume {id}`.",
    "digest_chart_title_weekly": "12 dernières semaines",
    "digest_chart_title_daily": "12 derniers jours",
    "digest_chart_title_monthly": "12 derniers mois",
    "digest_chart_title_cron": "12 dernières périodes",
    "digest_chart_file": "tendance kpibot",
    "chart_unit_nps": "score (−100…100)",
    "chart_unit_percent": "%",
    "chart_unit_seconds": "heures",
    "chart_unit_score": "score moyen",
    "chart_unit_count": "nombre",
    "chart_unit_money": "montant",
    "schedule_cron": "cron `{cron}` ({tz})",
    "schedule_weekly": "hebdomadaire, {day} {at} ({tz})",
    "schedule_monthly": "mensuel, le {day} à {at} ({tz})",
    "schedule_daily": "quotidien à {at} ({tz})",
    "schedule_dow_step": "pas de jour de semaine invalide dans « {part} »",
    "schedule_dow_bad": "jour de semaine invalide « {text} » (0–7 ou sun…sat)",
    "schedule_dow_backwards": "la plage de jours « {part} » va à reculons",
    "schedule_fields": "un cron a 5 champs (minute heure jour mois jour-de-semaine), et non "
    "{count} : « {cron} »",
    "schedule_bad_cron": "expression cron invalide « {cron} » : {error}",
    "schedule_bad_time": "heure invalide « {at} » (HH:MM, par ex. 09:00)",
    "schedule_no_weekday": "un bilan {cadence} ne prend pas de jour de semaine (« {day} »)",
    "schedule_dom_monthly": "un jour du mois demande « monthly »",
    "schedule_no_earlier": "le cron « {cron} » n'a pas d'horaire précédent",
    # --- alerts ----------------------------------------------------------------------------
    "alert_customer": "client `{id}`",
    "verdict_high": "satisfait",
    "verdict_middle": "neutre",
    "verdict_low": "insatisfait",
    "alert_previous_answers": "Réponses précédentes : {answers}",
    "alert_first_answer": "Première réponse de ce client",
    "alert_open_tickets": "Demandes ouvertes : {count} ({tickets})",
    "alert_no_open_tickets": "Aucune demande ouverte",
    "alert_claimed_by": ":raising_hand: Pris en charge par <@{user}> {when}",
    "alert_resolved_by": ":white_check_mark: Résolu par <@{user}> {when}{note}",
    "alert_no_action_by": ":heavy_minus_sign: Aucune action nécessaire, selon <@{user}> {when}",
    "alert_button_claim": "Je m'en occupe",
    "alert_button_resolve": "Résolu",
    "alert_button_no_action": "Aucune action nécessaire",
    "alert_detractor_text": "Détracteur : {score}/{scale} {survey} {leads}",
    "alert_detractor_deleted_text": "Alerte détracteur {leads}",
    "alert_detractor_title": ":rotating_light: *Détracteur* {leads}",
    "alert_answer_deleted": "(la réponse a été supprimée)",
    "alert_answered": "Répondu {when}",
    "alert_burst_title": "🚨 {count} détracteurs en une minute",
    "alert_burst_hint": "{leads} chacun peut être pris en charge ci-dessous",
    "alert_burst_deleted": "(réponse supprimée)",
    "alert_recovered": "✅ {name} {period} est revenu : {value} (règle {rule})",
    "alert_breached": "📉 {name} {period} est à {value} : {what} (règle {rule})",
    "alert_rule_context": "n = {n} · règle n°t{id} · `/kpi alert list`",
    "alert_what_below": "sous {threshold}",
    "alert_what_above": "au-dessus de {threshold}",
    "alert_what_drop": "en baisse de {drop} points depuis {previous}",
    "alert_reminder": ":alarm_clock: {leads} ce détracteur n'a pas encore été pris en charge. "
    "Prenez-le en charge ci-dessus si vous rappelez le client.",
    "alert_modal_title": "Clore l'alerte",
    "alert_modal_submit": "Clore",
    "alert_modal_cancel": "Annuler",
    "alert_modal_label": "Qu'avez-vous fait ?",
    "alert_modal_placeholder": "Client rappelé, remboursé…",
    "alert_modal_needs_note": "Une courte note, s'il vous plaît.",
    "alert_taken": "Cette alerte a déjà été {what} par <@{user}>.",
    "alert_taken_claimed": "prise en charge",
    "alert_taken_resolved": "résolue",
    "alert_taken_no_action": "close (aucune action nécessaire)",
    "alert_cannot_act": "Vous ne pouvez pas agir sur les alertes kpibot : {reason}.",
    "alert_usage_title": "*Alertes*",
    "alert_usage": "`/kpi alert detractors #canal @responsable|@groupe [survey=nps,csat] "
    "[attribut=valeur …]`\n"
    "`/kpi alert when nps last-7d < 30 #canal [@responsable]` (`<`, `>`, `below`, `above`, "
    "`drops-by N`)\n"
    "`/kpi alert list` · `/kpi alert remove d1|t1`",
    "alert_cannot_change": ":no_entry: Vous ne pouvez pas modifier les alertes : {reason}.",
    "alert_unknown_command": "commande d'alerte inconnue « {verb} »",
    "alert_needs_channel": "indiquez le canal où publier, par ex. `#support-leads`",
    "alert_needs_lead": "mentionnez le ou les responsables à prévenir : `@lead` ou "
    "`@support-leads`",
    "alert_enps_anonymous": "les réponses eNPS sont anonymes : elles ne déclenchent jamais "
    "d'alerte individuelle (une règle de seuil sur l'eNPS fonctionne : "
    "`/kpi alert when enps last-30d < 10 …`)",
    "alert_unknown_survey": "enquête inconnue « {survey} » (nps, csat ou ces)",
    "alert_route_added": ":white_check_mark: Route *d{id}* : les détracteurs de "
    "{surveys}{segment} sont annoncés dans <#{channel}>, en mentionnant {leads}.",
    "alert_segment": " où {filters}",
    "alert_say_when": "dites quand, par ex. `nps last-7d < 30`, `csat above 90%`, "
    "`frt this-week > 4h` ou `nps drops-by 10`",
    "alert_one_figure": "une règle surveille un seul chiffre : pas de `by`",
    "alert_unknown_period": "période inconnue « {period} »",
    "alert_rule_added": ":white_check_mark: Règle *t{id}* : `{rule}` est vérifiée à chaque "
    "ingestion et toutes les 15 minutes ; <#{channel}> est prévenu une fois quand elle se "
    "vérifie et une fois quand elle ne se vérifie plus.",
    "alert_which": "laquelle ? `d3` pour une route de détracteurs, `t2` pour une règle",
    "alert_not_target": "« {text} » n'est ni une route (d3) ni une règle (t2)",
    "alert_no_rule": "aucune règle t{id}",
    "alert_no_route": "aucune route d{id}",
    "alert_rule_removed": ":wastebasket: Règle *t{id}* supprimée.",
    "alert_route_removed": ":wastebasket: Route *d{id}* supprimée.",
    "alert_list_title": "Alertes",
    "alert_list_route": "*d{id}* détracteurs de {surveys}{segment} → <#{channel}> {leads}",
    "alert_list_no_routes": "Aucune route de détracteurs.",
    "alert_list_holding": "en alerte :red_circle:",
    "alert_list_not_holding": "normale",
    "alert_list_last": ", dernière valeur {value}",
    "alert_list_rule": "*t{id}* `{rule}` → <#{channel}> ({state}{last})",
    "alert_list_no_rules": "Aucune règle de seuil.",
    "alert_list_open_title": "*Alertes détracteurs ouvertes, les plus anciennes d'abord*",
    "alert_list_open": "• alerte {id} dans <#{channel}> : {state} depuis {age}{who}{delivery}",
    "alert_list_claimed_by": ", prise en charge par <@{user}>",
    "alert_list_delivery": " — envoi {status}",
    "alert_list_none_open": "Aucune : toutes les alertes sont closes.",
    "alert_list_summary": "{routes} routes, {rules} règles, {open} alertes ouvertes",
    "alert_state_open": "ouverte",
    "alert_state_claimed": "prise en charge",
    "alert_status_pending": "en attente",
    "alert_status_posting": "en cours",
    "alert_status_failed": "échoué",
    "alert_status_unknown": "incertain",
    "alert_status_erased": "retirée (données du client effacées)",
    # --- données personnelles et exploitation --------------------------------------------
    "privacy_comment_removed_erasure": "Commentaire supprimé : le client a demandé l'effacement "
    "de ses données.",
    "privacy_comment_removed_retention": "Commentaire supprimé : il dépassait la durée de "
    "conservation.",
    "privacy_alert_removed_erasure": "Commentaire, identifiant client et détails libres "
    "supprimés : le client a demandé l'effacement de ses données.",
    "privacy_alert_removed_retention": "Commentaire, identifiant client et détails libres "
    "supprimés au terme de la durée de conservation.",
    "db_unavailable": ":hourglass: la base de données de kpibot est indisponible, réessayez "
    "dans une minute.",
    "ops_opened": ":rotating_light: *kpibot a besoin de quelqu'un* : {what}",
    "ops_resolved": ":white_check_mark: *Rétabli* ({since}) : {what}",
    "ops_digest": "le digest n° {id} vers <#{channel}> n'a pas pu être publié ({status} : "
    "{error}). `/kpi digest list` le montre ; `kpibot digest send {id}` le publie une fois le "
    "canal vérifié",
    "ops_digest_ok": "le digest n° {id} vers <#{channel}> est de nouveau publié",
    "ops_alerts": "{count} alerte(s) attendent depuis plus de 10 minutes d'être publiées, la "
    "plus ancienne depuis {since} (dernière erreur : {error})",
    "ops_alerts_ok": "toutes les alertes sont de nouveau publiées",
    "ops_connector": "les webhooks {vendor} échouent sans cesse : {count} de suite, le dernier "
    "{outcome} ({error})",
    "ops_connector_ok": "les webhooks {vendor} sont de nouveau enregistrés",
    "ops_token": "le jeton Slack ne fonctionne plus ({error}) : rien ne peut être publié tant "
    "que SLACK_BOT_TOKEN n'est pas corrigé",
    "ops_token_ok": "le jeton Slack fonctionne de nouveau",
    "ops_redactions": "{count} message(s) Slack citant des données effacées n'ont pas pu être "
    "expurgés depuis plus d'une heure (dernière erreur : {error})",
    "ops_redactions_ok": "tous les messages Slack citant des données effacées sont expurgés",
    # --- graphiques et onglet Accueil -----------------------------------------------------
    "chart_unit_minutes": "minutes",
    "chart_step_day": "jour",
    "chart_step_week": "semaine",
    "chart_step_month": "mois",
    "chart_caption": "{kpi}, {period}, par {step}",
    "chart_caption_by": ", une ligne par {name}",
    "chart_caption_last": " ; dernière valeur {value} ({start})",
    "chart_caption_groups": " ; dernières valeurs : {values}",
    "chart_caption_empty": " ; aucune valeur sur cette période",
    "chart_previous": "période précédente",
    "chart_band": "intervalle de confiance à 95 %",
    "chart_in_dm": "📈 Le graphique suit dans vos messages directs avec kpibot.",
    "chart_in_channel": "📈 Le graphique suit dans ce canal.",
    "home_title": "Vos KPI en un coup d'œil",
    "home_last_7": "7 derniers jours",
    "home_last_30": "30 derniers jours",
    "home_significant": "significatif",
    "home_not_significant": "non significatif",
    "home_alerts": "Alertes détracteurs ouvertes",
    "home_no_alerts": "Aucune alerte détracteur ouverte.",
    "home_more_alerts": "…et {count} autre(s) dans leurs canaux.",
    "home_digests": "Synthèses de vos canaux",
    "home_no_digests": "Aucune synthèse dans les canaux dont vous êtes membre.",
    "home_trend": "Tendance sur les 12 dernières semaines",
    "home_refused": "kpibot ne peut pas vous montrer son tableau de bord : {reason}.",
    "home_updated": "Mis à jour {at} ({tz}) ; rouvrir l'onglet après une minute l'actualise.",
    "home_ask": "Posez vos questions avec `/kpi aide`, p. ex. `/nps last-90d graphique`.",
    "home_default_kpis": "les KPI CX essentiels",
    "home_paused": "en pause",
    "home_last_sent": "dernier envoi {when}",
    # --- ce qui l'a fait bouger, et thèmes des détracteurs ---------------------------------
    "why_title": "Ce qui l'a fait bouger",
    "why_word": "pourquoi",
    "why_share": "part",
    "why_rate": "sa propre valeur a changé",
    "why_mix": "sa part des réponses a changé",
    "why_rate_short": "valeur propre",
    "why_mix_short": "mix",
    "why_significant": "significatif",
    "why_not_significant": "non significatif",
    "why_untested": "trop peu pour tester",
    "why_even": "Aucun segment ne se détache : le changement est réparti uniformément "
    "({attributes}).",
    "why_change_not_significant": "⚠️ Le changement lui-même n'est pas significatif : ces "
    "segments peuvent n'être que du bruit.",
    "why_not_decomposable": "{name} n'est ni une part, ni un score, ni une moyenne : son "
    "changement ne se répartit pas par segment.",
    "why_no_previous": "Pas de valeur sur la période précédente : aucun changement à expliquer.",
    "why_no_change": "Aucun changement par rapport à la période précédente : rien à expliquer.",
    "why_no_segments": "Aucun attribut n'a assez de données pour répartir le changement (au "
    "moins deux segments de 5 réponses).",
    "digest_moved": "Ce qui a bougé",
    "alert_driver": "Porté par {driver}",
    "themes_title": "Ce dont parlent les détracteurs ({name})",
    "themes_count": "{count} détracteurs ({share})",
    "themes_change": "{change} par rapport à la période précédente",
    "themes_none": "Aucun commentaire de détracteur sur cette période.",
    "themes_scattered": "{count} commentaires de détracteurs, sans thème assez partagé.",
    "themes_context": "{total} commentaires de détracteurs sur la période ({previous} sur la "
    "précédente) ; {other} hors thème. Regroupés sur cette machine (TF-IDF et NMF), aucun texte "
    "n'en sort.",
    "themes_digest": "Thèmes",
    "themes_no_detractors": "{name} n'a pas de détracteurs : les thèmes lisent les "
    "commentaires NPS, CSAT ou CES",
    "help_why": "`/nps mois-dernier pourquoi` dit quels segments ont fait bouger le chiffre, "
    "par leur propre score ou leur poids.",
    "help_themes": "`/kpi thèmes nps last-30d` regroupe en thèmes ce qu'ont écrit les "
    "détracteurs (`csat`, `ces`).",
    # --- sondages ------------------------------------------------------------------------
    "help_surveys": "`/kpi survey enps #canal` pose à chaque membre, en message privé, la "
    "question eNPS ; les réponses sont anonymes (`/kpi survey help`).",
    "survey_usage_title": "*Sondages dans Slack*",
    "survey_usage": "`/kpi survey enps #canal` (ou `csat`) envoie à chaque membre du canal la "
    'question et son échelle en boutons ; options `question="…"`, `team=NOM` (par défaut : le '
    "nom du canal), `closes=3d` (7d par défaut), `every=monthly|quarterly`\n"
    "`/kpi survey list` · `/kpi survey close N` · `/kpi survey remove N|P<pulse>`\n"
    "Une réponse par membre et par sondage, enregistrée sans son nom ; une relance à mi-parcours ; "
    "le résultat est publié dans le canal à la clôture, à partir de 5 réponses.",
    "survey_cannot_change": "Vous ne pouvez pas ouvrir ni clore de sondage : {reason}.",
    "survey_unknown_command": "`{verb}` n'est pas une commande de sondage",
    "survey_bad_closes": "`closes={text}` : indiquez combien de temps le sondage reste ouvert, "
    "de 1h à 90d (par ex. `closes=3d`)",
    "survey_bad_team": "`team={text}` n'est pas un nom d'équipe (un mot, sans `=`)",
    "survey_bad_every": "`every={text}` : un sondage récurrent s'écrit `every=monthly` ou "
    "`every=quarterly`",
    "survey_needs_channel": "quel canal ? par ex. `/kpi survey enps #support`",
    "survey_opened": "Sondage *#{id}* ({kind}) ouvert pour <#{channel}> (team={team}) : chaque "
    "membre reçoit la question en message privé d'ici quelques minutes ; clôture {closes}.\n"
    "> {question}",
    "survey_pulse_added": "Le sondage récurrent *P{id}* le reprend {every} "
    "(`/kpi survey remove P{id}` l'arrête).",
    "survey_monthly": "chaque mois",
    "survey_quarterly": "chaque trimestre",
    "survey_which": "quel sondage ? donnez son numéro, par ex. `/kpi survey close 3`",
    "survey_not_id": "`{text}` n'est pas un numéro de sondage",
    "survey_missing": "il n'y a pas de sondage n°{id}",
    "survey_already_closed": "Le sondage n°{id} est déjà clos.",
    "survey_closed_now": "Le sondage n°{id} est clos : son résultat sera publié dans son canal.",
    "survey_pulse_missing": "il n'y a pas de sondage récurrent P{id}",
    "survey_pulse_removed": "Sondage récurrent P{id} supprimé ; ses sondages passés et leurs "
    "réponses restent.",
    "survey_removed": "Sondage n°{id} supprimé ; ses réponses restent (elles sont anonymes).",
    "survey_line_closed": "clos {when}",
    "survey_line_open": "ouvert jusqu'au {when}",
    "survey_line_sending": "envoi en cours",
    "survey_line_reminded": "{n} relancés",
    "survey_line_counts": "{answered}/{asked} réponses{rate}",
    "survey_none": "Aucun sondage pour l'instant.",
    "survey_kind_enps": "eNPS",
    "survey_kind_csat": "CSAT",
    "survey_question_enps": "Sur une échelle de 0 à 10, recommanderiez-vous {team} comme lieu de "
    "travail à un proche ?",
    "survey_question_csat": "Êtes-vous satisfait·e de {team} ?",
    "survey_scale_enps": "{low} = pas du tout probable · {high} = très probable",
    "survey_scale_csat": "{low} = très insatisfait·e · {high} = très satisfait·e",
    "survey_anonymous_note": ":lock: Anonyme : kpibot enregistre votre réponse sans votre nom, "
    "une seule fois. Clôture {closes}.",
    "survey_reminder_lead": ":wave: Petit rappel, au cas où :",
    "survey_dm_text": "Un sondage rapide : {question}",
    "survey_thanks": "Merci, votre réponse est enregistrée (anonymement). Le sondage se clôt "
    "{closes}.",
    "survey_already_answered": "Vous avez déjà répondu à ce sondage, merci. Votre première "
    "réponse compte.",
    "survey_round_closed": "Ce sondage est clos : votre clic n'a pas été compté. Merci quand même.",
    "survey_comment_refused": "Ce sondage est clos, ou votre réponse a déjà un commentaire.",
    "survey_modal_title": "Merci !",
    "survey_modal_submit": "Envoyer",
    "survey_modal_close": "Sans commentaire",
    "survey_modal_intro": "Votre réponse est enregistrée. Quelque chose à ajouter ? Les "
    "commentaires ne sont montrés qu'avec les autres, jamais avec votre nom.",
    "survey_modal_label": "Commentaire (facultatif)",
    "survey_result_title": "Sondage {kind} · {team}",
    "survey_result_counts": "{answered} réponses sur {asked} ({rate})",
    "survey_result_withheld": "Trop peu de réponses pour montrer un résultat : kpibot montre "
    "le {kind} à partir de {minimum} réponses, pour que personne ne soit reconnaissable.",
    "survey_result_mean": "Note moyenne {mean}/5",
    "survey_result_previous": "Sondage précédent : {value}",
    "survey_result_context": "Sondage n°{id} · {span} · réponses anonymes (`/enps` et `/csat` "
    "les lisent avec `team=` et `round=`)",
}

WORDS: dict[Language, dict[str, str]] = {"en": _EN, "fr": _FR}

#: The engine's refusals in French, by code (English: the engine's own words).
REASONS_FR: dict[str, str] = {
    "out_of_range": "les périodes doivent se situer entre {first} et {last}, période "
    "précédente comprise",
    "by_needs_attribute": "« by » attend un attribut, par ex. « by channel »",
    "top_not_number": "top attend un nombre entier, par ex. top=5",
    "top_range": "top doit être entre 1 et 50",
    "chart_step": "le pas d'un graphique est jour, semaine ou mois, p. ex. graphique=semaine",
    "one_period": "une seule période à la fois (déjà « {period} »)",
    "unexpected_word": "mot inattendu",
    "which_kpi": "quel KPI ? par ex. « nps last-30d »",
    "not_attribute": "ce n'est pas un nom d'attribut",
    "bad_filter": "un filtre s'écrit nom=valeur ou nom!=valeur",
    "bad_api_filter": "un filtre s'écrit nom:valeur ou nom!:valeur",
    "control_character": "une question ne peut pas contenir de caractères de contrôle",
    "bad_date": "date invalide",
    "rolling_n": "une période glissante demande N ≥ 1",
    "no_month": "ce mois n'existe pas",
    "no_week": "{year} n'a pas de semaine ISO {week}",
    "range_order": "la plage se termine avant de commencer",
    "unknown_period": "période inconnue",
    "since_future": "« depuis » demande un jour passé",
    "negation_needs_filter": "« {word} » attend un filtre après lui, par ex. "
    "« {word} canal=email »",
}

_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "fr": (
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ),
}
_WEEKDAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
}
WEEKDAY_NAMES = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
}


def _words(language: Language) -> Mapping[str, str]:
    return WORDS.get(language, _EN)


def word(key: str, language: Language) -> str:
    """A label in the workspace's language (English when unknown)."""
    return _words(language).get(key, _EN[key])


def say(key: str, language: Language, **values: object) -> str:
    """A sentence in the workspace's language with its placeholders filled."""
    return word(key, language).format(**values)


def reason(code: str, params: Mapping[str, object], language: Language) -> str:
    """One of the engine's refusals (a question's or a period's) in the user's language."""
    if language == "fr" and code in REASONS_FR:
        return REASONS_FR[code].format(**params)
    template = QUESTION_REASONS.get(code) or PERIOD_REASONS[code]
    return template.format(**params)


#: The figure reasons the engine gives (English), to their i18n keys.
FIGURE_REASONS = {
    NO_DATA: "reason_no_data",
    ZERO_DENOMINATOR: "reason_zero",
    FEWER_THAN_FIVE: "reason_fewer_than_five",
}


def figure_reason(text: str, language: Language) -> str:
    """Why a figure has no value, in the user's language."""
    key = FIGURE_REASONS.get(text)
    return text if key is None else word(key, language)


def when(instant: datetime, pattern: str, language: Language) -> str:
    """`instant` written with a strftime pattern, its `%a` and `%b` in the language."""
    lang = language if language in _MONTHS else "en"
    text = pattern.replace("%a", _WEEKDAYS[lang][instant.weekday()])
    text = text.replace("%b", _MONTHS[lang][instant.month - 1])
    return instant.strftime(text)


def _hint(suggestions: list[str], language: Language) -> str:
    return say("did_you_mean_hint", language, names=", ".join(suggestions)) if suggestions else ""


def explain(exc: Exception, language: Language) -> str:
    """A refusal of the engine (unknown KPI, period, attribute, word or timezone) said in the
    user's language, for an answer that also lists the closest matches."""
    if isinstance(exc, UnknownKpi):
        return say("bad_kpi", language, text=exc.text, hint=_hint(exc.suggestions, language))
    if isinstance(exc, UnknownAttribute):
        return say("bad_attribute", language, name=exc.name, hint=_hint(exc.suggestions, language))
    if isinstance(exc, PeriodError):
        key = "unknown_period" if exc.code == "unknown_period" else "bad_period"
        return say(key, language, text=exc.text, reason=reason(exc.code, exc.params, language))
    if isinstance(exc, QuestionError):
        key = "unexpected_word" if exc.code == "unexpected_word" else "bad_word"
        return say(key, language, token=exc.token, reason=reason(exc.code, exc.params, language))
    if isinstance(exc, UnknownTimezone):
        return say("tz_unknown", language, tz=exc.shown)
    return str(exc)


def unknown_kpi(exc: UnknownKpi, language: Language) -> str:
    """An unknown KPI with its closest keys, for an answer that lists nothing else."""
    return say("kpi_unknown", language, text=exc.text, hint=_hint(exc.suggestions, language))
