"""Default articles of the convention document (loaded by a data migration, then edited by staff
in the back-office). Bodies are sandboxed templates (conventions/articles.py lists what they may
use); blank lines separate paragraphs."""

DEFAULT_ARTICLES = [
    (
        1,
        "Objet de la convention",
        "La présente convention a pour objet de définir les conditions dans lesquelles "
        "{{ funders_sentence }} soutien{{ funders|length|pluralize:'t,nent' }} le projet "
        "associatif de {{ association_name }} : {{ purpose }}.\n\n"
        "Elle s'inscrit dans le réseau SolidaRen, réseau des associations rennaises de solidarité "
        "piloté par le CCAS de la Ville de Rennes.",
    ),
    (
        2,
        "Durée",
        "La convention est conclue pour la période du {{ start_date|date_legale }} "
        "au {{ end_date|date_legale }}, soit {{ years|length }} année{{ years|length"
        "|pluralize }} ({{ years|first }}–{{ years|last }}). Son renouvellement fait l'objet "
        "d'une nouvelle convention.",
    ),
    (
        3,
        "Engagements de l'association",
        "{{ association_name }} s'engage à mettre en œuvre les actions décrites en annexe, à "
        "accueillir de façon inconditionnelle les personnes en situation de précarité du "
        "territoire métropolitain et à respecter le contrat d'engagement républicain, dont "
        "l'attestation a été signée le {{ republican_contract_attested_on|date_legale"
        "|default:'— (à compléter)' }}.\n\n"
        "Elle s'engage à mentionner le soutien des financeurs dans ses supports de communication.",
    ),
    (
        4,
        "Engagements financiers des financeurs",
        "Sous réserve du vote des crédits correspondants, les financeurs s'engagent à verser "
        "à l'association les montants annuels suivants, en euros :\n\n"
        "{{ amounts_table }}\n\n"
        "La valeur totale du soutien prévu par la convention, aide en nature valorisée comprise, "
        "s'élève à {{ total_support|euros }} ({{ total_support|en_lettres }}).",
    ),
    (
        5,
        "Aides en nature",
        "{% if has_in_kind_support %}Les financeurs apportent en outre les aides en nature "
        "suivantes, valorisées chaque année dans les comptes de l'association (compte 861 pour "
        "la mise à disposition de locaux) :\n\n{{ in_kind_table }}{% else %}La présente "
        "convention ne prévoit pas d'aide en nature.{% endif %}",
    ),
    (
        6,
        "Objectifs et évaluation",
        "L'association poursuit les objectifs partagés du réseau SolidaRen pour la période et "
        "ses objectifs propres, évalués chaque année au moyen des indicateurs suivants :\n\n"
        "{{ objectives_list }}",
    ),
    (
        7,
        "Modalités de versement",
        "La subvention annuelle est versée {{ payment_terms|lower }}, dans "
        "un délai de {{ payment_deadline_days }} jours à compter de la notification de la "
        "décision d'attribution (loi n° 2021-875 du 1er juillet 2021), sur le compte bancaire "
        "de l'association.",
    ),
    (
        8,
        "Compte rendu annuel",
        "Dans les six mois suivant la fin de chaque exercice, soit au plus tard le 30 juin de "
        "l'année suivante, l'association transmet un compte rendu financier conforme au "
        "formulaire CERFA n° 15059 : bilan qualitatif de l'action, tableau des charges et des "
        "produits prévus et réalisés, annexe expliquant les écarts, ainsi que la valorisation "
        "des aides en nature et du bénévolat.",
    ),
    (
        9,
        "Communication",
        "L'association fait figurer les logos des financeurs sur les documents relatifs aux "
        "actions soutenues et les associe aux temps forts de son activité.",
    ),
    (
        10,
        "Résiliation",
        "En cas de non-respect par l'une des parties de ses engagements, ou de manquement au "
        "contrat d'engagement républicain, la convention peut être résiliée par les financeurs "
        "à l'expiration d'un délai d'un mois suivant l'envoi d'une lettre recommandée avec "
        "accusé de réception restée sans effet. Les sommes indûment perçues sont alors "
        "reversées.",
    ),
]
