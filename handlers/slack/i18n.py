"""The words of kpibot's Slack answers, in English and French."""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "en": {
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
        "colon": ": ",
        "examples": "Examples",
        "periods": "Periods",
        "groups": "Groups",
        "default": "default",
        "private": "Answers are private; add `share` to post in the channel.",
        "list_hint": "`/kpi list` shows every KPI. "
        "`/kpi digest add #channel` posts a weekly digest there (`/kpi digest help`).",
        "help_text": "How to ask kpibot: /kpi <kpi> [period] [filters] [by attribute]",
        "counters": "Any counter name also answers as its own sum.",
    },
    "fr": {
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
        "colon": "\u00a0: ",  # French puts a (no-break) space before a colon
        "examples": "Exemples",
        "periods": "Périodes",
        "groups": "Groupes",
        "default": "par défaut",
        "private": "Les réponses sont privées ; ajoutez `share` pour publier dans le canal.",
        "list_hint": "`/kpi list` affiche tous les KPI. "
        "`/kpi digest add #canal` y publie un bilan hebdomadaire (`/kpi digest help`).",
        "help_text": "Comment interroger kpibot : /kpi <kpi> [période] [filtres] [by attribut]",
        "counters": "Tout nom de compteur répond aussi par sa propre somme.",
    },
}


def word(key: str, language: str) -> str:
    """A label in the workspace's language (English when unknown)."""
    return WORDS.get(language, WORDS["en"]).get(key, WORDS["en"][key])
