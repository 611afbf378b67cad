//! The vocabulary of product feedback that a general-purpose lexicon lacks
//! or reads the other way, rated on VADER's [-4, 4] scale: words and idioms
//! that customers use to judge a product or a service, complain, or say
//! they are leaving, and discourse markers that carry no sentiment of their
//! own. This is where scores depart from VADER's on purpose; the lexicon
//! folds these lists in over VADER's own.

/// Single words. "support" is VADER's verb (+1.7); in what customers write
/// about products it is nearly always the noun ("support told me to wait"),
/// so it carries no sentiment of its own. "honestly" and "lol" open or
/// close as many complaints as compliments ("honestly, worse than
/// expected", "the update deleted my notes lol"): VADER's +2.0 and +2.9
/// would outweigh the complaint.
#[rustfmt::skip]
pub(super) const WORDS: &[(&str, f64)] = &[
    ("support", 0.0), ("outage", -2.0), ("outages", -2.0), ("downtime", -1.8),
    ("buggy", -1.8), ("bug", -1.2), ("bugs", -1.2), ("glitch", -1.3), ("glitches", -1.3),
    ("glitchy", -1.6), ("laggy", -1.5), ("unusable", -2.5), ("unresponsive", -1.6),
    ("overpriced", -1.7), ("crashes", -1.8), ("crashed", -1.8), ("crashing", -1.8),
    ("freezes", -1.5), ("froze", -1.4),
    // Qualities customers judge products by.
    ("reliable", 1.5), ("unreliable", -1.8), ("dependable", 1.4), ("flaky", -1.5),
    ("slow", -1.2), ("slower", -1.0), ("snappy", 1.5), ("fast", 1.2), ("faster", 1.0),
    ("seamless", 1.8), ("seamlessly", 1.8), ("intuitive", 1.6), ("clunky", -1.5),
    ("smooth", 1.3), ("smoother", 1.1), ("nightmare", -2.5), ("ripoff", -2.3),
    ("overcharged", -2.0), ("scammed", -2.5), ("expensive", -0.8), ("pricey", -0.8),
    ("refund", -1.0), ("refunds", -0.8), ("disconnects", -1.4), ("unstable", -1.6),
    ("flimsy", -1.6), ("sturdy", 1.4), ("durable", 1.4), ("flawless", 2.6),
    ("flawlessly", 2.6), ("phenomenal", 3.0), ("decent", 1.2), ("mediocre", -1.3),
    ("subpar", -1.6), ("underwhelming", -1.5), ("underwhelmed", -1.5), ("letdown", -1.8),
    ("defective", -2.0), ("faulty", -1.8), ("overheats", -1.8), ("overheating", -1.8),
    ("downgrade", -1.3), ("fiddly", -1.0), ("lukewarm", -1.0), ("burnt", -1.3),
    ("stale", -1.3), ("soggy", -1.4), ("bland", -1.1), ("trash", -2.0), ("garbage", -2.0),
    ("junk", -1.8), ("wiped", -1.2), ("leaks", -1.4), ("leaking", -1.4), ("unhelpful", -1.8),
    ("rude", -2.0), ("spotty", -1.2), ("patchy", -1.2), ("immaculate", 2.2),
    // Business and news wording.
    ("slump", -1.5), ("slumps", -1.5), ("plunge", -1.6), ("plunges", -1.6),
    ("tumble", -1.3), ("tumbles", -1.3), ("slip", -0.9), ("slips", -0.9),
    ("layoffs", -1.8), ("shortage", -1.3), ("shortages", -1.3),
    // Slang of short posts.
    ("slaps", 2.0), ("bussin", 2.2), ("goated", 2.5), ("mid", -1.0), ("sus", -1.0),
    // Discourse markers.
    ("honestly", 0.0), ("lol", 0.3), ("lmao", 0.3), ("tbh", 0.0), ("ngl", 0.0),
];

/// Idioms, each rated as a whole.
#[rustfmt::skip]
const PHRASES: &[(&str, f64)] = &[
    ("went down", -1.8), ("goes down", -1.8), ("is down", -1.6), ("keeps crashing", -2.2),
    ("stopped working", -2.0), ("not working", -2.0), ("doesn't work", -2.0),
    ("does not work", -2.0), ("had one job", -1.5), ("waste of money", -2.5),
    ("waste of time", -2.2), ("customer service", 0.0),
    // Complaints and churn in words that carry no sentiment of their own.
    ("still waiting", -1.6), ("no response", -1.5), ("no reply", -1.5),
    ("never arrived", -2.0), ("never showed up", -1.8), ("never came", -1.6),
    ("on hold", -1.0), ("lost my", -1.6), ("data loss", -2.2), ("stopped syncing", -2.0),
    ("won't load", -1.8), ("wont load", -1.8), ("doesn't load", -1.8),
    ("logs me out", -1.5), ("logged me out", -1.5), ("logging me out", -1.5),
    ("cancel my subscription", -1.5), ("cancelling my subscription", -1.5),
    ("canceling my subscription", -1.5), ("cancelled my subscription", -1.5),
    ("third time", -1.0), ("fourth time", -1.0), ("charged twice", -2.0),
    ("double charged", -2.0), ("want my money back", -2.0), ("hung up on", -2.0),
    ("hasn't shipped", -1.5), ("has not shipped", -1.5), ("still hasn't", -1.2),
    ("still has not", -1.2), ("not delivered", -1.6), ("never delivered", -1.8),
    ("wasn't delivered", -1.6), ("deleted my", -1.6), ("deleted all", -1.6),
    ("never answer", -1.5), ("never answers", -1.5), ("never replied", -1.5),
    ("never responds", -1.5), ("nobody replies", -1.5), ("nobody answers", -1.5),
    ("without fixing", -1.5), ("closed my ticket", -1.0), ("hidden fees", -1.6),
    ("charge extra", -1.0), ("charged extra", -1.0), ("breaks easily", -1.8),
    ("fell apart", -1.8), ("falls apart", -1.8), ("looks cheap", -1.3),
    ("feels cheap", -1.3), ("cheaply made", -1.6), ("gone downhill", -2.0),
    ("went downhill", -2.0), ("going downhill", -1.8), ("let me down", -1.8),
    ("let down", -1.5), ("keeps freezing", -2.0), ("keeps failing", -2.0),
    ("keeps dropping", -1.8), ("keeps disconnecting", -1.8), ("without power", -1.5),
    ("not worth", -1.8), ("worth it", 1.8), ("expected more", -1.2),
    ("expected better", -1.2), ("hoped for more", -1.0), ("used to love", -1.0),
    ("used to like", -0.8), ("used to be good", -1.2), ("used to be great", -1.2),
    ("wanted to like", -1.0), ("wanted to love", -1.0), ("not for me", -0.8),
    ("isn't for me", -0.8), ("doesn't live up", -1.5), ("didn't live up", -1.5),
    ("does not live up", -1.5), ("don't bother", -1.5), ("dont bother", -1.5),
    ("adds nothing", -1.2), ("so done", -2.0), ("am done with", -1.5),
    ("i'm done with", -1.5), ("im done with", -1.5), ("job cuts", -1.6),
    ("one star", -2.0), ("two stars", -1.5), ("three stars", 0.0), ("four stars", 1.5),
    ("five stars", 2.2),
    // Leaving, said plainly.
    ("never again", -1.8), ("won't be back", -1.8), ("wont be back", -1.8),
    ("not coming back", -1.8), ("won't be ordering", -1.8), ("won't be buying", -1.8),
    ("never ordering", -1.8), ("never buying", -1.8),
    // Praise in words a general lexicon misreads.
    ("worth every penny", 2.5), ("works like a charm", 2.5), ("just works", 1.8),
    ("game changer", 2.0), ("couldn't be happier", 3.0), ("could not be happier", 3.0),
    ("couldn't be better", 2.5), ("can't complain", 1.0), ("no complaints", 1.5),
    ("no questions asked", 1.5), ("no need to worry", 1.2), ("just right", 1.5),
    ("makes up for", 1.5), ("sorted everything", 1.5), ("sorted it", 1.5),
    ("sorted out", 1.2), ("sorted my", 1.2), ("shout out", 1.5), ("shoutout", 1.5),
    ("does the job", 1.2), ("does what it says", 1.2), ("does what it should", 1.0),
    ("reasonably priced", 1.2), ("value for money", 1.5), ("blown away", 2.5),
    ("top notch", 2.5), ("spot on", 1.8), ("obsessed with", 1.8), ("is fire", 2.0),
    ("is lit", 1.8), ("no cap", 0.0),
    // Discourse markers, and news wording with no sentiment of its own.
    ("to be honest", 0.0), ("interest rates", 0.0), ("interest rate", 0.0),
];

/// Comparatives that name what a product lacks when "could be", "should
/// be" or "needs to be" comes before them: "could be faster" is a
/// complaint, where VADER reads the praise in "faster".
const LACKING: &[&str] = &[
    "better", "faster", "clearer", "cheaper", "easier", "quicker", "smoother", "simpler", "bigger",
    "brighter", "louder", "quieter", "longer", "lighter",
];

/// Every idiom with its rating, the "could be better" family included.
pub(super) fn phrases() -> impl Iterator<Item = (String, f64)> {
    let lacking = ["could be", "should be", "needs to be", "could have been"]
        .into_iter()
        .flat_map(|m| LACKING.iter().map(move |c| (format!("{m} {c}"), -1.0)));
    PHRASES
        .iter()
        .map(|&(p, v)| (p.to_string(), v))
        .chain(lacking)
}

/// Whether `text` holds a word or idiom of this vocabulary.
#[cfg(test)]
pub(super) fn in_domain_vocabulary(text: &str) -> bool {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .collect();
    WORDS.iter().any(|(w, _)| words.contains(w)) || phrases().any(|(p, _)| lower.contains(&p))
}
