"""French and English: the caller's language, and the words in it."""

from __future__ import annotations

import re

from flask import g, request

LANGUAGES = ("fr", "en")
DEFAULT = "fr"


def locale() -> str:
    """?lang= (remembered in a cookie by the pages), else the cookie, else Accept-Language."""
    if "locale" not in g:
        chosen = request.args.get("lang") or request.cookies.get("lang")
        if chosen not in LANGUAGES:
            chosen = request.accept_languages.best_match(LANGUAGES) or DEFAULT
        g.locale = chosen
    return g.locale


# Marshmallow's own messages, and ours, in French. `{n}` stands for numbers.
_FR = {
    "Missing data for required field.": "Champ obligatoire manquant.",
    "Unknown field.": "Champ inconnu.",
    "Field may not be null.": "Ce champ ne peut pas être vide.",
    "Not a valid string.": "Texte invalide.",
    "Not a valid integer.": "Nombre entier invalide.",
    "Not a valid boolean.": "Valeur vrai/faux invalide.",
    "Not a valid list.": "Liste invalide.",
    "Not a valid UUID.": "Identifiant invalide.",
    "Not a valid datetime.": "Date et heure invalides.",
    "Not a valid email address.": "Adresse e-mail invalide.",
    "Invalid input type.": "Type de donnée invalide.",
    "Invalid input.": "Donnée invalide.",
    "Not a valid mapping type.": "Objet attendu.",
    "Not a valid aware datetime.": "Date et heure sans fuseau horaire : ajoutez un décalage (+01:00).",
    "Must be one of: {list}.": "Doit être l'une des valeurs : {list}.",
    "Length must be between {n} and {n}.": "La longueur doit être comprise entre {n} et {n}.",
    "Shorter than minimum length {n}.": "Plus court que la longueur minimale {n}.",
    "Longer than maximum length {n}.": "Plus long que la longueur maximale {n}.",
    "Must be greater than or equal to {n} and less than or equal to {n}.": "Doit être compris entre {n} et {n}.",
    "Must be greater than or equal to {n}.": "Doit être supérieur ou égal à {n}.",
    "Unknown field of the taxonomy.": "Domaine inconnu de la taxonomie.",
    "Not an ISO 639-1 language code.": "Code de langue ISO 639-1 invalide.",
    "Not an IANA time zone.": "Fuseau horaire IANA inconnu.",
    "The start must be before the end.": "Le début doit précéder la fin.",
    "Shorter than the requested duration.": "Plus court que la durée demandée.",
    "Must be in the future.": "Doit être dans le futur.",
    "Too far ahead (at most {n} days).": "Trop lointain ({n} jours au plus).",
    "Needed for an in-person meeting.": "Nécessaire pour une rencontre en personne.",
    "Not a time of day (HH:MM).": "Heure invalide (HH:MM).",
    "Must be between 2000 and 2100.": "Doit être compris entre 2000 et 2100.",
    "Contains control characters.": "Contient des caractères de contrôle.",
    "Cross-site request refused.": "Requête provenant d'un autre site refusée.",
    "Start and end must differ.": "Le début et la fin doivent différer.",
    "Duplicate values.": "Valeurs en double.",
    "Must be one of the durations {list}.": "Doit être l'une des durées {list}.",
}
_PATTERNS = []
for english, french in _FR.items():
    pattern = (
        re.escape(english).replace(r"\{n\}", r"(-?\d+)").replace(r"\{list\}", r"(.+?)")
    )
    _PATTERNS.append((re.compile(f"^{pattern}$"), french))


def translate_message(message: str, lang: str) -> str:
    if lang == "en":
        return message
    for pattern, french in _PATTERNS:
        m = pattern.match(message)
        if m:
            out = french
            for value in m.groups():
                out = re.sub(r"\{n\}|\{list\}", lambda _, v=value: v, out, count=1)
            return out
    return message


def translate_errors(errors, lang: str):
    if isinstance(errors, dict):
        return {k: translate_errors(v, lang) for k, v in errors.items()}
    if isinstance(errors, list):
        return [translate_errors(v, lang) for v in errors]
    return translate_message(str(errors), lang)


# Words of the pages and of the error bodies.
TEXT = {
    "unauthenticated": {
        "en": "Sign in through the company portal first.",
        "fr": "Connectez-vous d'abord via le portail de l'entreprise.",
    },
    "forbidden": {"en": "You may not do this.", "fr": "Vous ne pouvez pas faire cela."},
    "not_found": {"en": "Nothing here.", "fr": "Rien ici."},
    "too_large": {
        "en": "The body is too large.",
        "fr": "Le contenu envoyé est trop volumineux.",
    },
    "bad_json": {
        "en": "The body is not a JSON object.",
        "fr": "Le contenu n'est pas un objet JSON.",
    },
    "too_many_open": {
        "en": "You already have {n} open requests; cancel one or wait for it to finish.",
        "fr": "Vous avez déjà {n} demandes en cours ; annulez-en une ou attendez qu'elle se termine.",
    },
    "rate_limited": {
        "en": "Too many submissions; try again later.",
        "fr": "Trop de demandes envoyées ; réessayez plus tard.",
    },
    "idempotency_conflict": {
        "en": "This Idempotency-Key was used with another body.",
        "fr": "Cette clé d'idempotence a déjà servi avec un autre contenu.",
    },
    "not_cancellable": {
        "en": "This request can no longer be cancelled.",
        "fr": "Cette demande ne peut plus être annulée.",
    },
    "not_proposed": {
        "en": "This invitation is no longer open.",
        "fr": "Cette invitation n'est plus ouverte.",
    },
    "self_preferred": {
        "en": "You cannot ask yourself.",
        "fr": "Vous ne pouvez pas vous choisir vous-même.",
    },
    "method": {"en": "Method not allowed.", "fr": "Méthode non autorisée."},
    "unavailable": {
        "en": "The service is briefly unavailable; try again in a moment.",
        "fr": "Le service est momentanément indisponible ; réessayez dans un instant.",
    },
    "csrf": {
        "en": "The form expired; reload the page and try again.",
        "fr": "Le formulaire a expiré ; rechargez la page et réessayez.",
    },
}


def t(key: str, lang: str | None = None, **values) -> str:
    text = TEXT[key][lang or locale()]
    return text.format(**values) if values else text


_PAGE_WORDS = {  # key: (English, French)
    "app_name": ("Network interviews", "Entretiens réseau"),
    "home_intro": (
        "Meet an experienced colleague in the field you aim for, for 30 minutes to an hour.",
        "Rencontrez un collègue expérimenté du métier qui vous attire, de 30 minutes à une heure.",
    ),
    "nav_new": ("Ask for an interview", "Demander un entretien"),
    "nav_requests": ("My requests", "Mes demandes"),
    "nav_host": ("My host profile", "Mon profil d'hôte"),
    "nav_invitations": ("My invitations", "Mes invitations"),
    "nav_ops": ("Operations", "Exploitation"),
    "nav_api": ("API", "API"),
    "signed_in_as": ("Signed in as", "Connecté en tant que"),
    "sign_in": ("Sign in", "Se connecter"),
    "dev_sign_in": ("Development sign-in", "Connexion de développement"),
    "dev_sign_in_help": (
        "In development mode, say who you are; in production the company portal does it.",
        "En mode développement, indiquez qui vous êtes ; en production, le portail de l'entreprise s'en charge.",
    ),
    "email": ("Email", "E-mail"),
    "groups": ("Groups (comma-separated)", "Groupes (séparés par des virgules)"),
    "your_name": ("Your name", "Votre nom"),
    "field": ("Field you aim for", "Métier visé"),
    "goal": ("What you would like to learn", "Ce que vous aimeriez apprendre"),
    "format": ("Format", "Format"),
    "format_video": ("Video call", "Visioconférence"),
    "format_in_person": ("In person", "En personne"),
    "format_phone": ("Phone", "Téléphone"),
    "duration": ("Duration", "Durée"),
    "minutes": ("minutes", "minutes"),
    "languages": ("Languages", "Langues"),
    "site": (
        "Site (for an in-person meeting)",
        "Site (pour une rencontre en personne)",
    ),
    "timezone": ("Time zone", "Fuseau horaire"),
    "related_ok": (
        "A host from a related field is fine",
        "Un hôte d'un métier voisin me convient",
    ),
    "availability": ("When you are available", "Vos disponibilités"),
    "availability_help": (
        "Give one or more windows; each must be at least as long as the meeting.",
        "Indiquez un ou plusieurs créneaux, chacun au moins aussi long que l'entretien.",
    ),
    "date": ("Date", "Date"),
    "from": ("From", "De"),
    "to": ("To", "À"),
    "referrer": ("Who recommended this to you", "Qui vous l'a recommandé"),
    "referrer_name": ("Their name", "Son nom"),
    "referrer_email": ("Their email", "Son e-mail"),
    "preferred_host": (
        "A host you would like to meet (optional, host id)",
        "Un hôte que vous aimeriez rencontrer (facultatif, identifiant)",
    ),
    "submit_request": ("Send my request", "Envoyer ma demande"),
    "fix_errors": (
        "Please correct the fields marked below.",
        "Veuillez corriger les champs signalés ci-dessous.",
    ),
    "request_sent": (
        "Your request was sent. We will email you when a host is proposed.",
        "Votre demande est envoyée. Nous vous écrirons dès qu'un hôte sera proposé.",
    ),
    "no_requests": ("You have no request yet.", "Vous n'avez encore aucune demande."),
    "status": ("Status", "Statut"),
    "status_submitted": ("Submitted", "Envoyée"),
    "status_proposed": ("Host invited", "Hôte invité"),
    "status_confirmed": ("Confirmed", "Confirmée"),
    "status_waitlisted": ("Waiting for a host", "En attente d'un hôte"),
    "status_unmatched": ("Not matched", "Sans hôte"),
    "status_cancelled": ("Cancelled", "Annulée"),
    "status_completed": ("Completed", "Terminée"),
    "status_accepted": ("Accepted", "Acceptée"),
    "status_declined": ("Declined", "Déclinée"),
    "status_expired": ("Expired", "Expirée"),
    "host": ("Host", "Hôte"),
    "when": ("When", "Quand"),
    "cancel": ("Cancel", "Annuler"),
    "cancel_request": ("Cancel this request", "Annuler cette demande"),
    "host_profile_intro": (
        "Hosts meet colleagues who consider their field. You choose when and how often.",
        "Les hôtes rencontrent des collègues intéressés par leur métier. Vous choisissez quand et à quelle fréquence.",
    ),
    "your_fields": ("Your fields", "Vos métiers"),
    "formats": ("Formats you offer", "Formats proposés"),
    "durations": ("Durations you offer", "Durées proposées"),
    "monthly_capacity": (
        "Meetings per month at most",
        "Entretiens par mois au maximum",
    ),
    "weekly_availability": ("Weekly availability", "Disponibilités hebdomadaires"),
    "weekly_help": (
        "Times in your time zone; leave a day empty if you are not available.",
        "Heures dans votre fuseau ; laissez un jour vide si vous n'êtes pas disponible.",
    ),
    "unavailable": ("Time off", "Absences"),
    "active": ("I accept new invitations", "J'accepte de nouvelles invitations"),
    "save_profile": ("Save my profile", "Enregistrer mon profil"),
    "profile_saved": ("Your profile is saved.", "Votre profil est enregistré."),
    "no_invitations": ("No invitation yet.", "Aucune invitation pour l'instant."),
    "requester": ("Requester", "Demandeur"),
    "recommended_by": ("Recommended by", "Recommandé par"),
    "accept": ("Accept", "Accepter"),
    "decline": ("Decline", "Décliner"),
    "location": ("Place or video link", "Lieu ou lien de visio"),
    "note": ("A note for the requester", "Un mot pour le demandeur"),
    "reason": ("Reason (optional)", "Raison (facultative)"),
    "answer_by": ("Answer by", "Répondre avant le"),
    "link_accept_q": ("Accept this meeting?", "Accepter cet entretien ?"),
    "link_decline_q": ("Decline this meeting?", "Décliner cet entretien ?"),
    "link_accepted": (
        "Thank you! The meeting is confirmed; both of you will receive a calendar invitation.",
        "Merci ! L'entretien est confirmé ; vous recevrez tous deux une invitation de calendrier.",
    ),
    "link_declined": (
        "Noted. We will look for another host; thank you for answering.",
        "C'est noté. Nous chercherons un autre hôte ; merci d'avoir répondu.",
    ),
    "link_refused": (
        "This invitation is no longer open.",
        "Cette invitation n'est plus ouverte.",
    ),
    "link_expired": ("This link has expired.", "Ce lien a expiré."),
    "link_invalid": ("This link is not valid.", "Ce lien n'est pas valide."),
    "feedback_q": ("Was this meeting useful?", "Cet entretien vous a-t-il été utile ?"),
    "feedback_yes": ("Yes, it was useful", "Oui, il m'a été utile"),
    "feedback_no": ("No, not really", "Non, pas vraiment"),
    "feedback_thanks": ("Thank you for your answer.", "Merci pour votre réponse."),
    "ops_title": ("Operations", "Exploitation"),
    "ops_funnel": (
        "Funnel: requests that reached each stage",
        "Entonnoir : demandes ayant atteint chaque étape",
    ),
    "ops_times": (
        "Time to proposal and to confirmation",
        "Délai de proposition et de confirmation",
    ),
    "ops_to_proposal": ("to proposal", "proposition"),
    "ops_to_confirmation": ("to confirmation", "confirmation"),
    "ops_supply_demand": ("Supply and demand by field", "Offre et demande par métier"),
    "ops_capacity": ("monthly capacity", "capacité mensuelle"),
    "ops_open_requests": ("open requests", "demandes ouvertes"),
    "ops_waitlist": ("Waitlist by field", "Liste d'attente par métier"),
    "ops_utilisation": (
        "Host utilisation this month",
        "Occupation des hôtes ce mois-ci",
    ),
    "ops_lag": ("Consumer lag", "Retard des consommateurs"),
    "ops_backlog": ("Outbox backlog", "Événements en attente de publication"),
    "ops_oldest": ("oldest", "le plus ancien"),
    "ops_dead_letters": ("Dead letters", "Messages en échec"),
    "ops_failed_mail": ("Failed emails", "E-mails en échec"),
    "ops_match_rate": ("Match rate", "Taux de mise en relation"),
    "ops_mail": ("Emails in the sink", "E-mails du puits SMTP"),
    "ops_none": ("None.", "Aucun."),
    "ops_kafka_down": ("Kafka is unreachable.", "Kafka est injoignable."),
    "day_mon": ("Monday", "Lundi"),
    "day_tue": ("Tuesday", "Mardi"),
    "day_wed": ("Wednesday", "Mercredi"),
    "day_thu": ("Thursday", "Jeudi"),
    "day_fri": ("Friday", "Vendredi"),
    "day_sat": ("Saturday", "Samedi"),
    "day_sun": ("Sunday", "Dimanche"),
    "error": ("Error", "Erreur"),
    "home": ("Home", "Accueil"),
    "optional": ("optional", "facultatif"),
    "language_switch": ("Français", "English"),
    "api_docs": ("API documentation", "Documentation de l'API"),
}
for _key, (_en, _fr) in _PAGE_WORDS.items():
    TEXT[_key] = {"en": _en, "fr": _fr}
