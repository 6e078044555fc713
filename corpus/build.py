#!/usr/bin/env python3
"""Build neardup's sample corpus: corpus/feeds/<feed>/NN-slug.txt and corpus/expected.jsonl.

Every text below was written for this project: invented news about invented places (Port
Alder, Gull Island, the Merrow Valley, Hinokura) and invented people.  The script holds the
stories and the structure of every page, renders the pages deterministically (fixed seed), and
derives the labels from that structure, so the texts and expected.jsonl never disagree.

    python3 corpus/build.py          write the files
    python3 corpus/build.py --check  exit 1 if the files on disk differ from what it would write

A page is a list of blocks.  Blocks are separated by a blank line; the lines of one block (only
photo galleries have more than one) follow each other without blank lines.  Every non-blank line
is one paragraph, and its 0-based position among the non-blank lines is its index in
expected.jsonl.  Each line carries a gold kind:
  content  article text (headline, byline, body paragraphs, first copy of a gallery caption);
  repeat   a second or later copy, inside the same page, of a gallery caption (exact, or with a
           suffix or one changed word), of the gallery title, or of a body paragraph;
  chrome   page furniture: the feed's header and footer, related-story links, gallery controls.
"boilerplate" = the chrome lines whose text, digits removed and whitespace normalised, is chrome
in at least 3 different stories of the same feed.
"""
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SEED = 20250409

# ---------------------------------------------------------------------------------------------
# Wire stories (Coastal Press Service), republished by several feeds with wire-copy edits
# ---------------------------------------------------------------------------------------------

FERRIES = {
    "title": "Port Alder approves $84 million electric ferry fleet",
    "byline": "By Renata Okafor, Coastal Press Service",
    "body": [
        "PORT ALDER, April 9 (CPS) -- The Port Alder city council voted 7-2 on Tuesday night to "
        "replace the city's four diesel ferries with battery-electric vessels by 2029, committing "
        "$84 million to a project that officials say will cut the harbor's largest single source "
        "of exhaust and lower fares for island commuters.",

        "The new boats, which will carry up to 240 passengers and 30 cars each, are to be built at "
        "the Kessler Marine yard on the north shore. Charging stations will be installed at the "
        "Front Street terminal and at the Gull Island landing, where the crossing takes about 22 "
        "minutes.",

        "\"We have been talking about cleaner ferries for fifteen years, and tonight we finally "
        "stopped talking,\" said council member Dolores Vance, who chaired the transportation "
        "committee that drafted the plan. \"Every commuter who rides these boats will notice the "
        "difference in the first week.\"",

        "Two members voted against the measure, arguing that the cost estimate relied on battery "
        "prices that could rise before construction begins. Council member Hal Brody said the city "
        "should have waited for a state grant program expected next year rather than borrowing "
        "most of the money through harbor bonds.",

        "The Port Alder Ferry Authority carried 1.9 million passengers last year, about a third of "
        "them residents of Gull Island who work on the mainland. Authority director Simone Achebe "
        "said the diesel fleet, the oldest of which entered service in 1988, had spent a combined "
        "143 days out of service for repairs in the past two years.",

        "Under the plan, the first two vessels would enter service in the spring of 2027 while the "
        "older diesel boats remain on standby. The remaining two would follow in 2029, after the "
        "authority has tested how the batteries perform in winter storms, when crossings are often "
        "delayed or cancelled.",

        "Residents of Gull Island who spoke at the four-hour meeting were largely supportive, "
        "though several asked for guarantees that the schedule would not be cut during the "
        "transition. \"I don't care what powers the boat as long as it leaves at 6:40,\" said "
        "Martin Quill, a baker who has commuted by ferry for 31 years.",

        "Environmental groups praised the vote. The Alder Sound Conservancy estimated that the "
        "diesel ferries emit about 9,000 tonnes of carbon dioxide a year, along with soot that "
        "settles on the neighborhoods closest to the terminal -- emissions the electric fleet "
        "would largely eliminate.",

        "The authority will open bidding for the charging equipment in June. Fares are expected to "
        "stay at current levels through 2026, and the council asked staff to report back in the "
        "fall on whether savings on fuel could pay for a reduced fare for students and seniors.",
    ],
}

WATER = {
    "title": "Merrow Valley towns ordered to cut water use by 20 percent",
    "byline": "By Jonas Pell, Coastal Press Service",
    "body": [
        "MERROW FALLS, Aug 14 (CPS) -- Regional water managers on Wednesday ordered the eleven "
        "towns of the Merrow Valley to cut household water use by 20 percent, the first mandatory "
        "restriction in the valley since 2009, after a summer in which the Tamsin Reservoir fell "
        "to 38 percent of capacity.",

        "The order, issued by the Merrow Valley Water Board, bans lawn watering between 8 a.m. and "
        "7 p.m., limits car washing to commercial facilities that recycle water, and requires "
        "restaurants to serve water only on request. Towns that miss the target for two "
        "consecutive months could face surcharges on the water they buy from the board.",

        "\"This is not a punishment, it is arithmetic,\" said board chair Agnes Whitlock. \"The "
        "reservoir is where it would normally be in late October, and we have September still to "
        "get through. If we act now, we will not have to talk about anything harsher.\"",

        "Rainfall at the Merrow Falls gauge since May has totalled 61 millimetres, less than a "
        "third of the long-term average, according to the regional weather office. Forecasters "
        "said there was little sign of a change before the autumn storms, which usually arrive in "
        "the second half of September.",

        "Farmers, who draw most of their irrigation water from wells and river allocations rather "
        "than the reservoir, are not covered by the household order. But the board said it was "
        "negotiating voluntary cuts with the valley's two irrigation districts, which together "
        "water about 14,000 hectares of orchards and vineyards.",

        "Reaction in the valley towns was mixed. In Caddon, where many homes still have unmetered "
        "connections, town manager Felix Arroyo said enforcement would be difficult. \"We can ask "
        "people to be careful, and most of them will be,\" he said. \"But we cannot measure what "
        "we do not meter.\"",

        "Some residents said they had already let their gardens go brown. \"My tomatoes are the "
        "only thing I am still watering, and I do that with the water from the dishes,\" said "
        "Priya Lamont, a retired teacher in Esker Hill. \"I think most people here understand what "
        "a dry year means.\"",

        "The board said it would publish reservoir levels every Monday on its website and in local "
        "newspapers, and would review the order on October 1. The last mandatory restrictions, in "
        "2009, stayed in place for five months before autumn rain refilled the reservoir.",
    ],
}

SHIPS_LOG = {
    "title": "Stolen 18th-century ship's log returned to Alder Maritime Museum",
    "byline": "By Renata Okafor, Coastal Press Service",
    "body": [
        "PORT ALDER, Feb 2 (CPS) -- A ship's log stolen from the Alder Maritime Museum nearly four "
        "decades ago has been returned after a collector in another state recognized the museum's "
        "stamp on its flyleaf while cataloguing a private library he had inherited, the museum "
        "said on Monday.",

        "The leather-bound log, kept by the first mate of the trading brig Constance between 1784 "
        "and 1786, records voyages between Port Alder and ports along the southern coast, "
        "including weather, cargo and the names of crew members who died at sea. It disappeared "
        "from a display case during a renovation in 1987.",

        "\"When I opened the box, I honestly had to sit down,\" said curator Beatrix Nolan. \"We "
        "had a photograph of the first page in our files, and nothing else. For thirty-seven years "
        "it has been a gap on the shelf and a line in the insurance register.\"",

        "The collector, who asked not to be named, contacted the museum in November after finding "
        "the stamp and a handwritten accession number. He said his late uncle had bought the "
        "volume at an estate sale in the early 1990s and had apparently never known where it came "
        "from.",

        "Police closed the original theft investigation in 1994 without making an arrest. A "
        "spokesman for the Port Alder police said the department had no plans to reopen it, since "
        "the statute of limitations had long expired and the person who returned the log had "
        "acted in good faith.",

        "Conservators will spend several months stabilizing the binding and some water-damaged "
        "pages before the log goes back on display. The museum also plans to scan every page and "
        "publish the images online, so that descendants of the crew can read the entries, Nolan "
        "said.",

        "The log's return comes as the museum prepares for its 150th anniversary next year. "
        "Director Owen Castellanos said the institution would use the occasion to review its "
        "security and to ask the public for help tracing about forty other objects that have gone "
        "missing over the decades.",
    ],
}

# a paragraph from another story, added by one republisher (an edit wire copies undergo)
HEAT_ADVISORY = (
    "Elsewhere in the region, the Port Alder health department extended its heat advisory "
    "through Friday, urging residents without air conditioning to use the cooling centers at the "
    "Front Street library and the Linden Avenue community hall, which will stay open until 9 p.m."
)

# ---------------------------------------------------------------------------------------------
# Local stories, one feed each.  ("gallery", name) marks where a photo gallery goes.
# ---------------------------------------------------------------------------------------------

CRANE = {
    "title": "Dockworkers say goodbye to the old Pier 9 crane",
    "byline": "By Ana Sorensen, Daily Harbor staff",
    "body": [
        "The gantry crane that has loomed over Pier 9 since 1979 made its last lift on Friday, "
        "swinging a refrigerated container off the freighter Northern Tamsin while about a hundred "
        "current and retired dockworkers watched from behind the fence at the end of the pier.",

        "The crane is being retired as the port moves its container traffic to Pier 12, where "
        "three electric cranes built in Finland went into service this spring. Port officials said "
        "the old machine, which runs on diesel generators, will be dismantled over the summer and "
        "most of its steel sold for scrap.",

        ("gallery", "crane"),

        "For crane operator Luis Ferreira, who has worked the Pier 9 cab for twenty-six years, the "
        "last shift was harder than he expected. \"You learn every noise it makes. You know when "
        "it is cold, when the cable needs grease, when the wind is going to be a problem,\" he "
        "said.",

        "The longshore union local said it had reached an agreement with the port under which all "
        "eleven operators who worked the old crane will be trained on the new equipment, with no "
        "loss of seniority. Training is to be finished by September, when the last container "
        "berths at Pier 9 are closed.",

        "The port has offered the crane's operator cab to the Alder Maritime Museum, which said it "
        "would like to display it in the courtyard if money can be found to move it. The cab "
        "weighs about nine tonnes and would have to be lifted off by a mobile crane before "
        "dismantling begins.",
    ],
}

OYSTERS = {
    "title": "Gull Island oyster festival draws record crowd despite rain",
    "byline": "By Kai Brennan, Daily Harbor staff",
    "body": [
        "Rain did little to thin the crowds at the Gull Island Oyster Festival on Saturday, where "
        "organizers counted about 11,000 visitors, the most in the event's 42-year history. "
        "Ferries from the mainland ran every twenty minutes, and the last boat back was delayed "
        "for almost an hour to clear the queue.",

        "Eighteen growers from around the sound brought oysters for the tasting tent, where "
        "visitors could compare the briny Gull Island variety with sweeter oysters from the "
        "shallow beds at Kessler Point. The shucking contest was won for the third year running by "
        "Marisol Pike, who opened twenty-four oysters in two minutes and nine seconds.",

        ("gallery", "oysters"),

        "Growers said the festival has become an important showcase for a business that nearly "
        "disappeared in the 1990s, when pollution closed most of the beds on the sound. Cleanup of "
        "the old cannery outfalls allowed the first commercial harvest in a generation in 2011, "
        "and there are now nine farms on the island.",

        "Proceeds from the festival go to the Gull Island volunteer fire company and to a "
        "scholarship fund for island students. Organizers said they would consider adding a "
        "second day next year, but only if the ferry authority can add sailings.",
    ],
}

LIGHTHOUSE = {
    "title": "Volunteers finish restoring Kessler Point lighthouse keeper's cottage",
    "byline": "By Kai Brennan, Daily Harbor staff",
    "body": [
        "After six years of weekend work, volunteers from the Kessler Point Lighthouse Society on "
        "Sunday reopened the keeper's cottage at the foot of the 1871 lighthouse, restored to look "
        "as it did when the last keeper, Ambrose Teale, moved out in 1953 and the light was "
        "automated.",

        "The society raised about $310,000 for the project, most of it in small donations and from "
        "a yearly fundraising swim across the inlet. Volunteers replaced the roof, rebuilt the "
        "brick chimney, stripped eleven layers of paint from the kitchen and tracked down "
        "furniture that matched photographs lent by Teale's granddaughter.",

        ("gallery", "lighthouse"),

        "\"My grandmother would have walked in and asked who moved her kettle,\" said Judith Teale "
        "Morrow, 81, who cut the ribbon. She spent summers at the cottage as a girl and remembers "
        "helping her grandfather carry paraffin up the spiral stairs before the light was "
        "converted to electricity.",

        "The cottage will be open to visitors on weekends from May through October, and the "
        "society hopes to offer overnight stays for school groups. Its next project is the "
        "lighthouse itself, whose iron lantern room needs about $450,000 in repairs to stop rust "
        "from spreading to the lens.",
    ],
}

FARES_QUOTE = (
    "\"For a lot of the people in this room, a quarter twice a day is not small change,\" said "
    "Ines Harrow, who organizes a riders' union on the east side. \"You are asking the people "
    "with the least to pay for a gap they did not create.\""
)

FARES = {
    "title": "Transit board delays fare increase after packed hearing",
    "byline": "By Dev Malhotra, MetroWire",
    "body": [
        "The Port Alder Regional Transit board on Thursday postponed a vote on raising bus and "
        "light-rail fares by 25 cents, after more than ninety people signed up to speak at a "
        "hearing that ran past midnight, most of them urging members to find the money elsewhere.",

        "The increase, which would have brought the base fare to $2.75, was meant to close a $6.3 "
        "million gap in next year's operating budget. Staff had warned that without it the agency "
        "would have to cut service on eleven of its least used routes, mostly in the evening.",

        FARES_QUOTE,

        "Board members said they would look at a mix of measures, including a higher parking "
        "charge at park-and-ride lots, a smaller fare increase limited to monthly passes, and an "
        "appeal to the state for emergency operating aid. A revised proposal is expected at the "
        "board's meeting on June 12.",

        # the page repeats the quote as a pull quote: an exact second copy of a body paragraph
        ("repeat", FARES_QUOTE),

        "Transit general manager Oren Falk said the agency had already trimmed administrative "
        "costs by 4 percent and delayed the purchase of twelve new buses. Ridership has recovered "
        "to about 88 percent of its 2019 level, he said, but fare revenue has not kept pace "
        "because more riders now use discounted passes.",

        "The hearing drew riders from across the region, including students from Alder Community "
        "College, who asked the board to extend the reduced youth fare to part-time students. "
        "Several speakers also complained about late buses on the Route 7 line, which serves the "
        "hospital district.",
    ],
}

HINOKURA = {
    "title": "Delegation from Hinokura brings sister-city ties back to life",
    "byline": "By Dev Malhotra, MetroWire",
    "body": [
        "A delegation of fourteen officials, teachers and students from Hinokura, Port Alder's "
        "sister city on the Japanese coast, arrived on Monday for a five-day visit, the first "
        "official exchange between the two harbor towns since the partnership was signed in 1994 "
        "and quietly lapsed a decade later.",

        "Hinokura mayor Sayuri Takemoto, speaking at a reception at the Front Street ferry "
        "terminal, said the two cities shared more than a coastline. Both depend on fishing and "
        "shipping, both have watched young people move away, and both are trying to turn their "
        "old waterfronts into places people want to live.",

        "竹本市長はあいさつの中で「三十年前に結んだ約束を、次の世代にきちんと引き継ぎたい。"
        "港町どうし、学び合えることはたくさんあります」と述べ、来年の夏にはポートアルダーの"
        "高校生を日野倉市に招く考えを示した。",

        "The mayor's remarks, delivered in Japanese and translated by a Hinokura high school "
        "English teacher, drew long applause from the roughly two hundred people at the terminal, "
        "many of them members of the Port Alder Japanese American community association, which "
        "lobbied for the visit.",

        "During their stay the visitors will tour the container terminal, the Alder Maritime "
        "Museum and the Gull Island oyster beds, and students will spend two days in classes at "
        "Harborview High School. A joint working group is to draft a new exchange agreement by the "
        "end of the year.",

        "Port Alder mayor Gregory Ndiaye said the city would set aside $40,000 in next year's "
        "budget for student travel. \"A partnership that only exists on a plaque in city hall is "
        "not a partnership,\" he said. \"This time we want it to mean something for the kids.\"",
    ],
}

NIGHT_MARKET = {
    "title": "Library night market returns with 60 stalls and a waiting list",
    "byline": "By Jonah Reyes, MetroWire",
    "body": [
        "The Linden Avenue library's summer night market returned on Friday with sixty stalls, "
        "twice as many as last year, and organizers said another forty vendors were on a waiting "
        "list. Food trucks lined the side street, and the reading garden was turned into a stage "
        "for local bands.",

        "The market began three years ago as a way to keep the branch open on summer evenings, "
        "when staffing cuts had forced it to close at five. Revenue from stall fees now pays for "
        "late opening hours on Fridays from June through August, librarian Tessa Mbeki said.",

        ("gallery", "market"),

        "Vendors said the crowds were the largest they had seen. \"I sold out of dumplings by half "
        "past eight, and I brought double what I brought last time,\" said Wen Zhao, who runs a "
        "stall with her two sisters. She said she planned to bring three times as much next week.",

        "The market runs every Friday until August 29 from 5 p.m. to 10 p.m. The city has closed "
        "the block of Linden Avenue between Fourth and Sixth streets for the evenings, and the "
        "transit authority has added late buses on Route 3.",
    ],
}

VENDANGES = {
    "title": "À Saint-Éloi-du-Val, la fête des vendanges renoue avec la tradition",
    "byline": "Par Hélène Marchetti, The Valley Post",
    "body": [
        "« On n’avait pas vu autant de monde depuis vingt ans », s’exclame Hélène Dufresne, "
        "présidente du comité des fêtes de Saint-Éloi-du-Val, petite commune francophone nichée "
        "au fond de la vallée de la Merrow. Samedi, près de trois mille visiteurs ont envahi les "
        "ruelles pavées du village pour la fête des vendanges.",

        "Au programme : défilé de chars décorés de grappes, concours de foulage au pied et "
        "dégustation des premiers jus de l’année. Les enfants de l’école du village ont ouvert la "
        "journée avec une chanson écrite pour l’occasion, accompagnés par la fanfare municipale et "
        "ses douze cuivres.",

        "Malgré la sécheresse de l’été, la récolte s’annonce correcte. « Les grains sont petits, "
        "mais très sucrés ; ce sera une année de qualité plutôt que de quantité », estime le "
        "viticulteur Rémi Garnier, dont la famille cultive le même coteau depuis quatre "
        "générations.",

        "Les bénéfices de la fête, environ 12 000 dollars selon les organisateurs, financeront la "
        "rénovation du lavoir communal. Rendez-vous est déjà pris pour l’an prochain, le dernier "
        "samedi de septembre, avec une nouveauté annoncée : un « marché des producteurs » de la "
        "vallée.",
    ],
}

FROST = {
    "title": "Late frost damages apple blossoms across the upper valley",
    "byline": "By Dana Whitcombe, The Valley Post",
    "body": [
        "A hard frost early on Tuesday damaged apple and pear blossoms across the upper Merrow "
        "Valley, and growers said it could be several weeks before they know how much of this "
        "year's crop has been lost. Temperatures at the Esker Hill weather station fell to minus "
        "three degrees shortly before dawn.",

        "Growers ran wind machines through the night and some lit heaters between the rows, but "
        "the cold settled in the low ground along the river, where many of the valley's oldest "
        "orchards stand. \"We did everything we could, and it still got into the bottom blocks,\" "
        "said grower Cal Henning.",

        ("gallery", "frost"),

        "The valley's orchards produced about 62,000 tonnes of apples last year, according to the "
        "Merrow Valley Growers Cooperative. Cooperative manager Nadia Sorell said most members "
        "carry crop insurance, but that payouts rarely cover the cost of a poor year for the "
        "packing houses and seasonal workers who depend on the harvest.",

        "Extension agents will begin counting damaged blossoms in sample orchards next week. "
        "Sorell said early varieties such as Merrow Gold, which were in full bloom, were the most "
        "exposed, while later varieties may have escaped with little harm.",
    ],
}

ROBOTICS = {
    "title": "Caddon High robotics team heads to national finals",
    "byline": "By Dana Whitcombe, The Valley Post",
    "body": [
        "A team of nine students from Caddon High School will compete at the national high school "
        "robotics finals next month after their machine, a six-wheeled robot nicknamed Dustbowl, "
        "won the regional championship in Merrow Falls on Saturday by stacking more crates than "
        "any other entry.",

        "The team was founded only three years ago by physics teacher Omar Kessling, who started "
        "it with a donated drill press and a budget of $800. This year the students built most of "
        "their robot's parts in the school's metal shop, and raised money for the trip by running "
        "a repair stall at the farmers' market.",

        "\"Our robot is not the prettiest one out there, but it does not break,\" said team "
        "captain Lucia Ferrand, a senior who plans to study mechanical engineering. \"We spent "
        "more time fixing things at the market than we did on the robot, and I think that taught "
        "us more.\"",

        "The national finals will be held over three days, and the team still needs about $6,000 "
        "to cover travel and hotel costs. The Caddon Rotary Club has pledged half that amount, and "
        "the school is accepting donations through its website until the end of the month.",
    ],
}

# ---------------------------------------------------------------------------------------------
# Photo galleries: base captions, then the order in which the page shows them.  An entry is a
# caption number, or (number, edit) where edit is "suffix" (" SNAPSHOT OF THE WEEK" appended)
# or (old word, new word).  Every showing after the first of a caption is a repeat.
# ---------------------------------------------------------------------------------------------

SUFFIX = " SNAPSHOT OF THE WEEK"

GALLERIES = {
    "crane": {
        "title": "Last lifts of the Pier 9 crane",
        "captions": [
            "Crane operator Luis Ferreira climbs the ladder to the cab of the Pier 9 gantry crane "
            "for his final shift on Friday morning, after twenty-six years of working the same "
            "machine. Photo: Ana Sorensen / Daily Harbor",
            "The Pier 9 crane lifts a container from the freighter Northern Tamsin, the last vessel "
            "it will unload before the new electric cranes at Pier 12 take over its work next "
            "month. Photo: Ana Sorensen / Daily Harbor",
            "Retired dockworkers gather along the fence at the end of Pier 9 to watch the final "
            "lift, some of them holding photographs of the crane's arrival in 1979. Photo: Ana "
            "Sorensen / Daily Harbor",
            "A rigger signals to the crane cab as the boom swings a container over the quay, a "
            "routine that workers say they have repeated hundreds of thousands of times. Photo: "
            "Ana Sorensen / Daily Harbor",
        ],
        "order": [0, 1, 1, 2, (1, "suffix"), 3, 0, (2, ("gather", "assemble")), 1,
                  (3, "suffix"), 2, 0],
    },
    "oysters": {
        "title": "Oysters, rain and a record crowd on Gull Island",
        "captions": [
            "Marisol Pike opens an oyster during the shucking contest at the Gull Island Oyster "
            "Festival on Saturday, on her way to a third straight title. Photo: Ana Sorensen / "
            "Daily Harbor",
            "Visitors in rain ponchos wait in line at the tasting tent, where eighteen growers from "
            "around the sound offered oysters from their beds. Photo: Ana Sorensen / Daily Harbor",
            "A ferry packed with festival visitors leaves the Front Street terminal for Gull "
            "Island, where the crossing runs every twenty minutes on festival day. Photo: Kai "
            "Brennan / Daily Harbor",
        ],
        "order": [0, 1, 1, 2, (0, "suffix"), (1, ("Sorensen", "Sorenson")), 2, 0],
    },
    "lighthouse": {
        "title": "Inside the restored keeper's cottage",
        "captions": [
            "Judith Teale Morrow cuts the ribbon at the restored keeper's cottage at Kessler Point "
            "on Sunday, sixty years after her last summer there as a girl. Photo: Kai Brennan / "
            "Daily Harbor",
            "The cottage kitchen, stripped of eleven layers of paint, has been furnished to match "
            "photographs taken when keeper Ambrose Teale lived there. Photo: Kai Brennan / Daily "
            "Harbor",
            "The Kessler Point lighthouse rises behind the restored cottage, where volunteers spent "
            "six years of weekends replacing the roof and chimney. Photo: Kai Brennan / Daily "
            "Harbor",
        ],
        "order": [0, 1, 2, 0, (1, "suffix"), (2, ("Brennan", "Brenan")), 0],
    },
    "market": {
        "title": "Friday nights at the library market",
        "captions": [
            "Shoppers crowd the aisle between food stalls at the Linden Avenue library night "
            "market on Friday evening, where sixty vendors set up in the parking lot and reading "
            "garden. Photo: Jonah Reyes / MetroWire",
            "Wen Zhao folds dumplings at her family's stall as customers wait in a line that "
            "stretched past the library's front steps for most of the evening. Photo: Jonah Reyes "
            "/ MetroWire",
            "The band Low Tide Choir plays in the library's reading garden, which organizers "
            "turned into a stage for the summer series of Friday markets. Photo: Jonah Reyes / "
            "MetroWire",
        ],
        "order": [0, 1, 0, 2, (1, "suffix"), (0, ("crowd", "fill")), 2, 1, 0],
    },
    "frost": {
        "title": "Frost night in the upper valley orchards",
        "captions": [
            "Wind machines stand over an orchard along the Merrow River on Tuesday morning after "
            "growers ran them through the night to keep cold air from settling on the blossoms. "
            "Photo: Dana Whitcombe / The Valley Post",
            "Grower Cal Henning cuts open a frozen apple blossom to check for damage to the "
            "center, which turns brown when the frost has killed it. Photo: Dana Whitcombe / The "
            "Valley Post",
            "Frost coats the grass between rows of Merrow Gold apple trees, an early variety that "
            "was in full bloom when temperatures dropped below freezing. Photo: Dana Whitcombe / "
            "The Valley Post",
        ],
        "order": [0, 1, 0, 2, (1, "suffix"), (0, ("stand", "tower"))],
    },
}

GALLERY_CONTROLS = ["HIDE CAPTION", "SHOW CAPTION", "of", "SEE ALL", "BACK TO SLIDE"]

# ---------------------------------------------------------------------------------------------
# Feeds: their page chrome.  "{n}", "{h}", "{m}", "{t}", "{year}" are filled per page from the
# seeded generator (digits change from page to page); lines marked droppable are left out of
# some pages.  "{related}" lines link to other stories of the feed.
# ---------------------------------------------------------------------------------------------

FEEDS = {
    "dailyharbor": {
        "header": [
            ("Skip to main content", False),
            ("Daily Harbor", False),
            ("News", True),
            ("Waterfront", True),
            ("Business", True),
            ("Sports", True),
            ("Opinion", True),
            ("Port Alder weather: {t}°C, light rain. Tides: high at {h}:{m} a.m.", True),
        ],
        "after_title": [("Posted {n} hours ago", False)],
        "after_byline": [("Share this story on Facebook, X or by email", True)],
        "footer": [
            ("More from Daily Harbor: {related}", False),
            ("More from Daily Harbor: {related}", False),
            ("Read Full Story", False),
            ("Sign up for Breaking News by Daily Harbor to get the latest alerts delivered to "
             "your inbox.", False),
            ("Subscribe to our other newsletters", True),
            ("Emails may include offers from our partners. You may unsubscribe at any time.",
             True),
            ("Contact us | Advertise | Privacy policy | Terms of use", True),
            ("© {year} Daily Harbor Media Group. All rights reserved.", False),
        ],
    },
    "metrowire": {
        "header": [
            ("Skip to navigation", False),
            ("MetroWire", False),
            ("Local", True),
            ("Transit", True),
            ("City Hall", True),
            ("Culture", True),
            ("Listen live: MetroWire Radio 98.4 FM", True),
        ],
        "after_title": [("Updated {h}:{m} p.m.", False), ("{n} min read", True)],
        "after_byline": [],
        "footer": [
            ("Related coverage: {related}", False),
            ("Comments ({n})", True),
            ("Get the MetroWire morning briefing, weekdays at 7.", False),
            ("Enter your email address", True),
            ("Sign up", True),
            ("MetroWire is a member-supported newsroom. Become a member today for $5 a month.",
             True),
            ("© {year} MetroWire Public Media", False),
        ],
    },
    "valleypost": {
        "header": [
            ("Skip to main content", False),
            ("The Valley Post", False),
            ("Serving the Merrow Valley since 1921", True),
            ("Home", True),
            ("Valley News", True),
            ("Farm & Orchard", True),
            ("Obituaries", True),
            ("Classifieds", True),
            ("Subscribe today: your first {n} weeks for just $1", True),
        ],
        "after_title": [("Posted {n} hours ago", False)],
        "after_byline": [],
        "footer": [
            ("Share: Facebook · Email · Print", True),
            ("Read Full Story", False),
            ("You might also like: {related}", False),
            ("Sign up for Breaking News by The Valley Post to get the latest alerts delivered to "
             "your inbox.", False),
            ("Subscribe to our other newsletters", True),
            ("The Valley Post, 40 Mill Street, Merrow Falls. Newsroom: 555-01{m}", True),
            ("© {year} Valley Post Publishing Co.", False),
        ],
    },
}

# ---------------------------------------------------------------------------------------------
# Wire-copy edits
# ---------------------------------------------------------------------------------------------


def typographic(s):
    """Curly quotes and em dashes, as many republishers' systems put them in."""
    s = s.replace(" -- ", "\u2014")
    s = re.sub(r'(^|[\s(\[])"', "\\1\u201c", s)
    s = s.replace('"', "\u201d")
    s = re.sub(r"(^|[\s(\[])'", "\\1\u2018", s)
    s = s.replace("'", "\u2019")
    return s


def story(base, title=None, keep=None, drop=None, insert=None, typo=False):
    """A republished copy: retitled, truncated to the first `keep` paragraphs, paragraph `drop`
    left out, (index, text) inserted, typographic quotes."""
    body = list(base["body"])
    if keep is not None:
        body = body[:keep]
    if drop is not None:
        del body[drop]
    if insert is not None:
        body.insert(insert[0], insert[1])
    out = {"title": title or base["title"], "byline": base["byline"], "body": body}
    if typo:
        out = {"title": typographic(out["title"]), "byline": out["byline"],
               "body": [typographic(p) if isinstance(p, str) else p for p in body]}
    return out


# (feed, file, story id, story text)
DOCS = [
    ("dailyharbor", "01-electric-ferries", "electric-ferries", story(FERRIES)),
    ("dailyharbor", "02-valley-water-limits", "valley-water",
     story(WATER, title="Dry summer forces first valley water limits in 15 years")),
    ("dailyharbor", "03-pier9-crane", "pier9-crane", CRANE),
    ("dailyharbor", "04-oyster-festival", "oyster-festival", OYSTERS),
    ("dailyharbor", "05-lighthouse-cottage", "lighthouse-cottage", LIGHTHOUSE),
    ("dailyharbor", "06-ships-log-returned", "ships-log", story(SHIPS_LOG)),
    ("metrowire", "01-electric-ferries", "electric-ferries", story(FERRIES, keep=5)),
    ("metrowire", "02-valley-water-cuts", "valley-water",
     story(WATER, insert=(4, HEAT_ADVISORY))),
    ("metrowire", "03-transit-fares", "transit-fares", FARES),
    ("metrowire", "04-hinokura-delegation", "hinokura-delegation", HINOKURA),
    ("metrowire", "05-library-night-market", "night-market", NIGHT_MARKET),
    ("valleypost", "01-battery-ferries", "electric-ferries",
     story(FERRIES, title="Port Alder bets on battery ferries to clear harbor air", typo=True)),
    ("valleypost", "02-water-rationing", "valley-water", story(WATER)),
    ("valleypost", "03-ships-log", "ships-log", story(SHIPS_LOG, drop=4)),
    ("valleypost", "04-fete-des-vendanges", "fete-vendanges", VENDANGES),
    ("valleypost", "05-orchard-frost", "orchard-frost", FROST),
    ("valleypost", "06-robotics-finals", "robotics-finals", ROBOTICS),
]

# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


def fill(template, rng, related):
    return template.format(n=rng.randint(2, 14), h=rng.randint(1, 11),
                           m="%02d" % rng.randint(0, 59), t=rng.randint(6, 19),
                           year=rng.choice([2024, 2025]), related=related.pop(0)
                           if "{related}" in template else "")


def chrome_lines(spec, rng, related, drop):
    out = []
    for template, droppable in spec:
        if droppable and template == drop:
            continue
        out.append([("chrome", fill(template, rng, related))])
    return out


def gallery_block(name):
    g = GALLERIES[name]
    lines = [("chrome", "%d PHOTOS" % len(g["order"])), ("content", g["title"]),
             ("chrome", "See Gallery"), ("repeat", g["title"])]
    seen = set()
    for entry in g["order"]:
        k, edit = (entry, None) if isinstance(entry, int) else entry
        text = g["captions"][k]
        if edit == "suffix":
            text += SUFFIX
        elif edit:
            assert (" %s " % edit[0]) in text, (name, edit)
            text = text.replace(" %s " % edit[0], " %s " % edit[1], 1)
        lines.append(("repeat" if k in seen else "content", text))
        seen.add(k)
    lines += [("chrome", c) for c in GALLERY_CONTROLS]
    return lines


def render(feed, story_text, rng, related):
    """The page as blocks (lists of (kind, line))."""
    spec = FEEDS[feed]
    droppable = [t for part in ("header", "after_title", "after_byline", "footer")
                 for t, d in spec[part] if d]
    drop = rng.choice(droppable) if rng.random() < 0.6 else None
    blocks = chrome_lines(spec["header"], rng, related, drop)
    blocks.append([("content", story_text["title"])])
    blocks += chrome_lines(spec["after_title"], rng, related, drop)
    blocks.append([("content", story_text["byline"])])
    blocks += chrome_lines(spec["after_byline"], rng, related, drop)
    for p in story_text["body"]:
        if isinstance(p, str):
            blocks.append([("content", p)])
        elif p[0] == "gallery":
            blocks.append(gallery_block(p[1]))
        elif p[0] == "repeat":
            blocks.append([("repeat", p[1])])
        else:
            raise ValueError(p)
    blocks += chrome_lines(spec["footer"], rng, related, drop)
    return blocks


def recur_key(s):
    return " ".join(re.sub(r"[0-9]+", "", s).split())


def build():
    """Returns ({relative path: text}, [expected records])."""
    rng = random.Random(SEED)
    pages = []
    for i, (feed, fname, sid, st) in enumerate(DOCS):
        others = [d[3]["title"] for d in DOCS if d[0] == feed and d[2] != sid]
        # related links: two other stories of the feed, rotating through them
        k = sum(1 for d in DOCS[:i] if d[0] == feed)
        related = [others[k % len(others)], others[(k + 2) % len(others)]]
        blocks = render(feed, st, rng, related)
        lines = [ln for b in blocks for ln in b]
        text = "\n\n".join("\n".join(t for _, t in b) for b in blocks) + "\n"
        path = "corpus/feeds/%s/%s.txt" % (feed, fname)
        pages.append((path, feed, sid, lines, text))
    # boilerplate: chrome recurring (digits ignored) in >= 3 different stories of the feed
    stories_of = {}
    for path, feed, sid, lines, _ in pages:
        for kind, t in lines:
            if kind == "chrome":
                stories_of.setdefault((feed, recur_key(t)), set()).add(sid)
    files, expected = {}, []
    for path, feed, sid, lines, text in pages:
        files[path] = text
        # the labels' paragraph = non-blank line; check the rendering agrees
        assert [t for _, t in lines] == [x for x in text.split("\n") if x.strip()], path
        chrome = [i for i, (k, _) in enumerate(lines) if k == "chrome"]
        expected.append({
            "doc": path, "story": sid,
            "repeats": [i for i, (k, _) in enumerate(lines) if k == "repeat"],
            "boilerplate": [i for i in chrome
                            if len(stories_of[(feed, recur_key(lines[i][1]))]) >= 3],
            "chrome": chrome,
        })
    files["corpus/expected.jsonl"] = "".join(
        json.dumps(e, ensure_ascii=False) + "\n" for e in expected)
    return files, expected


def check_prose():
    """Article paragraphs are real prose of 25-80 words (CJK: 40-200 characters)."""
    texts = [FERRIES, WATER, SHIPS_LOG, CRANE, OYSTERS, LIGHTHOUSE, FARES, HINOKURA,
             NIGHT_MARKET, VENDANGES, FROST, ROBOTICS]
    paras = [p for t in texts for p in t["body"] if isinstance(p, str)] + [HEAT_ADVISORY]
    for p in paras:
        n = len(p.split())
        if n == 1:
            assert 40 <= len(p) <= 200, p
        else:
            assert 25 <= n <= 80, (n, p[:60])


def main(argv):
    check_prose()
    files, _ = build()
    if "--check" in argv:
        bad = []
        for rel, text in sorted(files.items()):
            p = os.path.join(ROOT, rel)
            try:
                with open(p, encoding="utf-8") as f:
                    if f.read() != text:
                        bad.append(rel)
            except OSError:
                bad.append(rel)
        feeds_dir = os.path.join(ROOT, "corpus", "feeds")
        for dirpath, _, names in os.walk(feeds_dir):
            for n in names:
                rel = os.path.relpath(os.path.join(dirpath, n), ROOT)
                if rel not in files:
                    bad.append(rel + " (not generated)")
        if bad:
            sys.stderr.write("corpus out of date: %s\n" % ", ".join(bad))
            return 1
        print("corpus up to date: %d files" % len(files))
        return 0
    for rel, text in sorted(files.items()):
        p = os.path.join(ROOT, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    print("wrote %d files, %d bytes" % (len(files), sum(len(t.encode()) for t in files.values())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
