"""Reference geography of the network: Rennes' 12 quartiers and Rennes Métropole's 43 communes."""

RENNES = "Rennes"

QUARTIERS_RENNES: list[str] = [
    "Centre",
    "Thabor – Saint-Hélier – Alphonse Guérin",
    "Bourg-l'Évêque – La Touche – Moulin du Comte",
    "Saint-Martin",
    "Maurepas – Bellangerais",
    "Jeanne d'Arc – Longs Champs – Atalante Beaulieu",
    "Francisco Ferrer – Landry – Poterie",
    "Sud-Gare",
    "Cleunay – Arsenal-Redon – La Courrouze",
    "Villejean – Beauregard",
    "Le Blosne",
    "Bréquigny",
]

COMMUNES_RENNES_METROPOLE: list[str] = [
    "Acigné", "Bécherel", "Betton", "Bourgbarré", "Brécé", "Bruz", "Cesson-Sévigné",
    "Chantepie", "La Chapelle-Chaussée", "La Chapelle-des-Fougeretz", "La Chapelle-Thouarault",
    "Chartres-de-Bretagne", "Chavagne", "Chevaigné", "Cintré", "Clayes", "Corps-Nuds",
    "Gévezé", "L'Hermitage", "Laillé", "Langan", "Le Rheu", "Le Verger",
    "Miniac-sous-Bécherel", "Montgermont", "Mordelles", "Nouvoitou",
    "Noyal-Châtillon-sur-Seiche", "Orgères", "Pacé", "Parthenay-de-Bretagne", "Pont-Péan",
    "Rennes", "Romillé", "Saint-Armel", "Saint-Erblon", "Saint-Gilles", "Saint-Grégoire",
    "Saint-Jacques-de-la-Lande", "Saint-Sulpice-la-Forêt", "Thorigné-Fouillard",
    "Vern-sur-Seiche", "Vezin-le-Coquet",
]

COMMUNE_CHOICES = [(name, name) for name in COMMUNES_RENNES_METROPOLE]
