"""The PolNeAR articles the corpus-view tests rely on (a module of its own, so that tests import
it by a name no other folder's conftest.py shares)."""

# Same-event groups, by PolNeAR file name (titles in test_stories.py).
NOMINATION = ["breitbart_2016-07-21_trump-fever-infects-convention-f", "nyt_2016-07-21_amid-discord-trump-claims-nomina",
              "wash-post_2016-07-22_republican-assails-elites-as-he-"]
DNC_HACK = ["huff-post_2016-07-31_clinton-says-russians-hacked-dnc", "wash-post_2016-08-01_snowden-wikileaks-clash-over-dnc"]
# Planted echoes: (source article, later article of another outlet that repeats one of its paragraphs).
COPIED = ("politico_2016-07-22_rep-gwen-graham-slams-trump-prai", "usa-today_2016-07-25_clinton-pick-gives-trump-an-open")
REWORDED = ("west-journal_2016-07-23_trump-addresses-munich-attack-th", "huff-post_2016-07-26_obama-administration-to-expand-p")
