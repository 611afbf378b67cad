//! The English cue phrases behind intent detection, in the pattern syntax of
//! [`crate::classify::cues`], compiled once into [`TABLE`].
//!
//! This file owns the phrase lists; it does not weigh evidence or look at
//! sentiment (that is the parent module), nor match (that is the shared
//! matcher).

use std::sync::LazyLock;

use crate::classify::cues::Table;

/// What finding a cue is evidence of, before sentiment is considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Leaving: unambiguous on its own.
    Churn,
    /// Leaving, but the words also describe ordinary moves ("moving to").
    ChurnWeak,
    Feature,
    /// Asking, even without a question mark.
    Question,
    /// A fault that is a complaint unless the text is clearly happy.
    Problem,
    /// A word that complains only when the text is negative overall.
    ProblemWeak,
    /// Sarcasm, regret and other phrases that complain whatever the score
    /// says ("thanks for nothing", "used to love").
    Grievance,
    /// Approval words: praise only when the text is positive; negated, a
    /// complaint.
    Praise,
    /// Set praise phrases, often with a negation in them ("can't recommend
    /// enough") that fools word-level sentiment: praise whatever the score.
    PraiseSet,
    Purchase,
    PurchaseWeak,
    /// Phrases that only exist to hide a cue inside them ("thanks in
    /// advance", "Best Buy").
    Shadow,
}

const CUES: &[(Kind, &[&str])] = &[
    (Kind::Churn, &[
        "cancel* [my|our|the] .. (subscription|subscriptions|membership|account|plan|contract)",
        "uninstall*", "delet* (the|this|their|my) [stupid] app", "delet* my account",
        "(close|closing|closed) my account", "last straw", "jump* ship",
        "(ask*|request*|demand*|want|wanted|get|getting|claim*) [for] a [full] refund",
        "want* my money back", "taking my (business|money) elsewhere",
        "(im|i am|we are|so|officially|totally|completely|finally) done with",
        "never (buy*|order*|use|using|fly*|shop*|go|going|come|coming|recommend*) .. again", "never again",
        "(wont|not) [be] renew*", "(switch*|mov*|migrat*) away from",
        "(wont|not) [be] (buy*|order*|use|using|shop*|fly*|go|going|come|coming) .. again",
        "(look*|shopping) for (an|another) (alternative|replacement|provider)",
        "unsubscrib*",
        "(thinking|think|considering|seriously thinking|tempted) (of|about) (leaving|cancel*|switching|moving|quitting|dropping|ditching)",
        "(im|i am|were|we are|ill be|i will be) (leaving|cancel*|switching|quitting|dropping|ditching) (you|them|acme|my|our|this|it|the)",
        "(subscription|membership|account|contract|plan) (cancelled|canceled|closed|terminated)",
        "port* my number", "(or|otherwise) (im|i am|ill|i will|well|we will|were) (cancel*|leav*|switch*|going elsewhere|out)",
        "(time|about time) to (switch|move|leave|find another|look elsewhere)",
        "(found|find|finding) (a|another) (better|cheaper) (provider|supplier|option|app|bank|service|company|network)",
        "(moving|switching|porting|taking) (my|our) (account|number|business|money|data|custom) (to|elsewhere|away)",
        "(no longer|not|wont be|stop) paying (for|a|you|them)", "(going|go|shop*) elsewhere",
    ]),
    (Kind::ChurnWeak, &[
        "(switch*|mov*|migrat*|port*) [over] to", "(go*|went) back to", "alternatives to",
    ]),
    (Kind::Feature, &[
        "wish (it|they|you|u|this|there|the|its|their|acme) .. (had|would|could|was|were|supported|offered|let|allowed|came|did)",
        "please (add|bring back|let us|allow|consider|support|implement|include|give us)",
        "would be (great|nice|awesome|cool|amazing|lovely|helpful|useful|good) if",
        "(would|id) (love|like) (to see|it if)", "feature request*",
        "when (will|are|is) (you|they|it) .. (add|adding|support|supporting|bring|bringing|get|getting)",
        "(can|could) (you|they|u) [please] (add|bring back|support|make it)",
        "any plans (to|for)", "(should|need to|needs to) (add|support|bring back|offer|include)",
        "bring back the", "add support for",
        "(need|needs|want|should be) (an|a) (option|way|setting|toggle|button) to",
        "why (isnt there|is there no|cant i|cant we|doesnt it have|dont you have|dont they have)",
        "would be (great|nice|awesome|cool|amazing|lovely|helpful|useful|good) to (have|see|get|be able)",
        "(i|we) (need|want|would like) (a|an|the) (way|option|setting|button|mode|toggle) to",
        "(should|could) (have|offer|include) (a|an) (option|setting|way|mode|toggle|button)",
        "(should|could) let (us|me|you|users|people)", "(please|pls|plz) (make|let|give)",
        "(hoping|hope) (for|they add|you add|you will add|they will add|to see)",
        "(missing|lacks|lacking) (a|an) (feature|option|setting|way|mode)",
        "(let|allow) (us|me|users) (to )?(choose|pick|set|change|turn|export|import|pause|skip|undo|edit|sort|filter|hide|mute)",
    ]),
    (Kind::Question, &[
        "(does|do|did|has) (anyone|anybody) (know|have|else|tried|use|used)",
        "(anyone|anybody) (know|tried|else)", "how (do|can|would|should) (i|we|you)",
        "is there (a|any) way", "is it possible to", "(can|could|will) (someone|anyone|somebody)",
        "any (idea|ideas|tips|advice|suggestions|recommendations)",
        "(what is|what are|whats) the best", "where (can|do|should) i", "quick question",
    ]),
    (Kind::Problem, &[
        "outage*", "crash*", "broken", "buggy", "unusable", "overcharged",
        "down (again|for)", "(site|app|service|server|servers|website|api|cloud) (is|are|was|been) down",
        "is it down", "(doesnt|dont|didnt|wont|cant|cannot|isnt|arent|not|never|stopped|stops) (work*|load*|connect*|sync*|charg*|respond*|boot*|open|opening|turn on)",
        "(cant|cannot|couldnt|unable to) (log|sign) (in|into)", "(cant|cannot|couldnt) login",
        "(support|service|they|agent|team|nobody|no one) (ignored|ignores|ignoring)",
        "(support|they|nobody|no one) .. never (replied|responded|answered|got back)",
        "no (reply|response|answer) (from|yet)", "still waiting (for|on)",
        "lost (my|all|our)", "charged (me|us) (twice|again|double)", "charged twice",
        "hung up on", "on hold", "(nobody|no one|never) (answers|answered|replies|replied|responds|responded|answer|reply|respond|helps)",
        "deleted (my|all|our)", "(data|files|photos|notes|account|messages) (was|were|got) (wiped|deleted|lost)",
        "(it|they|mine|which) (broke|breaks)", "broke (down|everything)",
        "arrived (scratched|damaged|broken|dented|opened|crushed|late|cracked)",
        "never (arrived|came|showed up|shipped)", "(hasnt|didnt|has not|did not) (arrived|arrive|shipped|ship)",
        // Failures said plainly, with no sentiment word: damage, missing
        // or wrong goods, charges, waits, services out, things that stop.
        "(came|arrived|turned up|delivered) (smashed|shattered|torn|ripped|stained|soaked|wet|bent|broken|leaking|dead|faulty|defective|open|opened|empty|mouldy|moldy|rotten|expired|cold|squashed|missing)",
        "(was|were|is|are) (smashed|shattered|torn|ripped|stained|soaked through|mouldy|moldy|rotten|missing|faulty|defective)",
        "(leak|leaks|leaking|leaked) (from|everywhere|all over|onto|into|through)",
        "(cracked|snapped|split|peeled|peeling|fell off|came off|came apart|fell apart) (on its own|after|within|overnight|in|the first)",
        "(forgot|forgotten|left out|missed out|missing) (the|my|our|two|three|half|one of|some of|all of)",
        "(items|item|parts|part|pieces|piece|bits) (were|was|are|is) missing", "half (the|my|our) order",
        "wrong (size|item|items|order|colour|color|address|product|part|parts|model|amount|charge|bill|one)",
        "ordered (a|an|the|two|three) .. got (a|an|the|two|three|one)",
        "(charged|billed) (me|us|my card|my account) (for|twice|again|without|after|before|even|on)",
        "(charged|billed) (me|us) (extra|more)", "(hidden|surprise|extra) (fee|fees|charge|charges)",
        "(took|takes|taking) (an hour|over an hour|hours|two hours|three hours|days|weeks|forever|ages)",
        "(days|weeks|months|hours) (late|overdue|behind)", "(still|yet to) (no|not|hasnt|havent|hear*)",
        "(no|without) (signal|internet|power|service|wifi|water|heating|hot water|reception|connection) (since|for|again|all)",
        "been without", "(have|has|had) been (cold|broken|down|out|closed|off|flooded|dead) (for|since)",
        "(marked|says|said|shows|showed) .. delivered but", "(marked|closed) .. (resolved|closed|complete) (without|but|and nobody|and no one)",
        "(nobody|no one) (came|turned up|showed up|called back|rang back|got back|fixed|explained)",
        "never (called|rang|got) back", "(keep|keeps|kept) (dropping|disconnecting|crashing|freezing|failing|cutting out|buffering|losing|logging me out|asking)",
        "(drops|dropped|cuts out|cut out) (every|all the time|constantly|again|twice|mid)",
        "(smelled|smells|smelt|stank|stinks|reeked|reeks) of",
        "(battery|batteries) (dies|died|drains|drained|dead|is dead|went from)",
        "no longer (works|work|holds|charges|connects|turns on|opens|fits|syncs)",
        "(wont|doesnt|didnt|cant|cannot|couldnt|refuses to|refused to) (accept|pair|let me|recognise|recognize|print|scan|install|update|pay|order|refund|fit|close|stay)",
        "(overheat*|overheating)", "(still|again) (broken|down|not fixed|not working|missing|late)",
    ]),
    (Kind::ProblemWeak, &[
        "refund*", "down", "slow", "laggy", "lag*", "freez*", "frozen", "stuck", "glitch*",
        "bug", "bugs", "error", "errors", "problem", "problems", "issue", "issues", "late",
        "delayed", "scam", "ripoff", "rip off", "overpriced", "useless", "garbage", "trash",
        "junk", "worst", "terrible", "awful", "horrible", "disappoint*", "unacceptable",
        "ridiculous", "fed up", "sick of", "tired of", "annoying", "annoyed", "frustrat*",
        "hate", "hates", "hated", "pathetic", "rude", "spam", "worse", "damaged", "cracked",
        "disconnected", "leaks", "leaking", "faulty", "defective", "flimsy", "mess", "maddening",
        "expired", "out of stock", "cancelled", "canceled", "complained", "too (loud|noisy|hot|small|tight|heavy|slow|expensive|short|long)",
        "(stop|quit) (sending|emailing|texting|calling|spamming)", "not a fan", "no signal", "soaked",
    ]),
    (Kind::Grievance, &[
        "thanks for nothing", "oh great", "just great", "so much for", "what a joke",
        "yeah right", "great, another",
        "(love|loving|loved) (how|when|that) .. (crash*|break*|broke|fail*|freez*|delet*|charg*|ignor*|los*|lost|dies|dying|died)",
        "used to (love|like|be good|be great|be better|be reliable|work)",
        "(regret|regretting|regretted) (buying|ordering|getting|it|this)", "waste of (money|time)",
        "not worth", "ripped off",
    ]),
    (Kind::Praise, &[
        "love", "loving", "loved", "loves", "amazing", "awesome", "excellent", "fantastic",
        "brilliant", "perfect*", "outstanding", "incredible", "superb", "wonderful", "great",
        "best", "impressed", "impressive", "(happy|pleased|satisfied|thrilled) with",
        "thank*", "thank you", "thank* [you] so much for", "thx", "kudos", "shout out", "shoutout", "props to", "well done",
        "recommend*", "(5|five) stars", "game changer", "works (great|perfectly|flawlessly|like a charm)",
        "favorite", "favourite", "obsessed with", "worth (it|the money|every penny)",
    ]),
    (Kind::PraiseSet, &[
        "cant recommend .. enough", "couldnt be (happier|more pleased|more happy|more satisfied)",
        "no complaints", "cant live without", "never (disappoints|lets me down|fails)",
        "never been (happier|better)", "cant get enough",
    ]),
    (Kind::Purchase, &[
        "thinking (of|about) (buying|getting|ordering|purchasing|upgrading)",
        "should i (get|buy|order|upgrade|grab|go for|go with)",
        "where (can|do|should) i (buy|get|order|find)", "where to buy",
        "(want|wanna|going|gonna|planning|plan|about|looking|hoping|ready|saving|need) [up] [to] (buy|purchase|preorder)",
        "(planning|plan|looking|saving|hoping) [up] to get", "in the market for",
        "(just|finally) (ordered|preordered|pre ordered)", "ordering", "pre order*", "preorder*",
        "add* to (cart|basket)", "take my money", "cant wait to (get|buy|order)",
        "worth (buying|getting|upgrading)",
        "(going|gonna|about|planning) to (order|get|pick up|grab|buy) (one|it|this|two|a|an|the)",
        "(will|ill|gonna|going to) (buy|order|get|pick up) (one|it|this|another|two)",
        "my next (phone|laptop|car|purchase|tv|camera|watch|bike)",
        "(back in stock|in stock|available) (yet|again|soon|in|near)",
        "(is|are) there (a|any) (discount|deal|offer|sale|promo|coupon)",
        "(do you|does it|can you) (ship|deliver) to", "(can i|could i) (buy|order|pay|book)",
        "(upgrade|upgrading) to the", "(sign|signing) up (for|to|today|tomorrow)",
    ]),
    (Kind::PurchaseWeak, &["how much (is|are|does|do|for)"]),
    (Kind::Shadow, &[
        "thanks in advance", "best buy", "best regards", "no thanks", "thanks anyway",
        "thank you in advance", "love to know",
        "(charge*|cost*|pay|paid|paying|spend*|spent|ask*) so much for", "down to", "down the", "cancel* (the|my) order",
        // A fault reported as fixed is not a complaint.
        "(crash*|outage*|bug|bugs|issue|issues|problem|problems|glitch*|error|errors) [is|are|was|were|got|has been|have been] [finally|now] (fixed|gone|resolved|solved|sorted)",
        "(fixed|resolved|solved|sorted) (the|my|that|this|our|every) (crash*|outage*|bug|bugs|issue|issues|problem|problems|glitch*|error|errors)",
    ]),
];

pub(super) static TABLE: LazyLock<Table<Kind>> = LazyLock::new(|| Table::new(CUES));
