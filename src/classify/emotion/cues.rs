//! The English cue phrases and emoji behind emotion detection, in the
//! pattern syntax of [`crate::classify::cues`], compiled once into
//! [`TABLE`].
//!
//! Written by the earshot developers for customer and product text, under
//! the repository's licence (see `LICENSE` beside this file); no published
//! emotion lexicon was copied or consulted for them. This file owns the
//! lists; what a found cue counts for is decided in the parent module.

use std::sync::LazyLock;

use super::Emotion;
use crate::classify::cues::Table;

const CUES: &[(Emotion, &[&str])] = &[
    (Emotion::Anger, &[
        "angry", "angrier", "anger", "furious", "fuming", "livid", "raging", "rage", "seething",
        "outraged", "outrageous", "infuriat*", "enrag*", "irate", "incensed", "pissed", "mad at",
        "so mad", "fed up", "sick of", "sick and tired", "tired of", "had enough", "enough is enough",
        "last straw", "annoyed", "annoying", "irritat*", "frustrat*", "aggravat*", "exasperat*",
        "disgraceful", "unacceptable", "ridiculous", "absurd", "what a joke", "clowns", "how dare",
        "who signed off", "who runs this", "what the hell", "wtf", "hate", "hated", "hates",
        "cheek", "scandalous", "shambles", "useless", "pathetic", "insult*", "ripped off",
        "rip off", "scam*", "fraudsters", "thanks for nothing", "thanks for wasting",
        "are you kidding", "you kidding me", "stop (blaming|sending|charging|ignoring)",
        "patience is (over|gone)", "lost my patience", "losing my patience", "ombudsman",
        "trading standards", "small claims", "(report|reporting) you", "blood boil*", "boiling",
        "(im|i am|so|totally|completely) done with", "had it with", "hung up on",
        "oh (brilliant|great|fantastic|perfect|lovely|wonderful)", "cheers for nothing",
    ]),
    (Emotion::Disgust, &[
        "gross", "grossed out", "disgust*", "revolting", "repulsive", "repuls*", "vile", "nasty",
        "foul", "filthy", "filth", "grimy", "grim", "slimy", "mouldy", "moldy", "mould", "mold",
        "rotten", "rancid", "putrid", "stank", "stink*", "smelled like", "smelt like",
        "smells like", "reek*", "made me sick", "makes me sick", "feel sick", "felt sick",
        "sickening", "sickened", "nauseat*", "stomach turn*", "turned my stomach", "gag*",
        "retch*", "puke", "vomit", "yuck", "ew", "eww", "ewww", "ugh", "skin crawl",
        "scummy", "scum", "sleazy", "sleaze", "despicable", "appalling", "appalled", "abhorrent",
        "shameful", "shameless", "grubby", "unhygienic", "cockroach*", "maggot*", "hair in",
        "a hair", "stain", "stains", "stained", "crusty", "greasy", "urine", "sewage", "smelly",
        "smelled so bad", "queasy", "bleurgh", "blergh", "blech", "spat it out", "creepy",
        "lowest of the low", "worms", "tasted like",
    ]),
    (Emotion::Fear, &[
        "afraid", "scared", "scary", "frightened", "frightening", "terrified", "terrifying",
        "fear", "fearful", "worried", "worry", "worrying", "worries", "anxious", "anxiety",
        "nervous", "panic*", "dread*", "alarm*", "uneasy", "on edge", "freaking out",
        "freaked out", "freaks me out", "paranoid", "terror", "what if", "hacked", "breach*",
        "leaked", "stolen", "fraud", "fraudulent", "identity theft", "phishing", "compromised",
        "unsafe", "not safe", "dangerous", "danger", "fire hazard", "caught fire", "exploded",
        "overheat*", "scare", "scares me", "nightmare", "sleepless", "cant sleep",
        "shaking", "heart (sank|stopped|racing|pounding)", "hope (its|it is|nothing|i|we) .. (not|okay|ok|safe|fine)",
        "(please|pray) (be|let it be) (ok|okay|fine|safe)", "(im|i am) (concerned|worried)",
        "concerned", "at risk", "risky", "(dont|didnt|do not|never) feel safe", "stomach in knots",
        "shaky", "please (dont|do not) let", "feel sick with worry", "sick with worry",
        "explode",
    ]),
    (Emotion::Joy, &[
        "love", "loving", "loved", "loves", "delighted", "delight*", "thrilled", "overjoyed",
        "ecstatic", "elated", "happy", "happier", "happiest", "glad", "joy", "joyful",
        "excited", "exciting", "cant wait", "buzzing", "chuffed", "stoked", "over the moon",
        "made my day", "makes my day", "brightened", "relieved", "relief", "phew", "grateful",
        "thankful", "thank you so much", "thanks so much", "proud", "yay", "woohoo", "hooray",
        "hurray", "amazing", "wonderful", "fantastic", "brilliant", "awesome",
        "lovely", "adore", "blessed", "lucky", "pleased", "cheered", "smiling", "smile",
        "grinning", "best day", "never been happier", "couldnt be happier", "so good",
        "a dream", "dream come true", "heaven", "bliss", "fun", "enjoy*", "celebrat*",
        "thank you thank you", "cant stop (grinning|smiling)", "nothing better", "what a treat",
        "youre (a star|the best)", "faith in humanity", "happy tears",
    ]),
    (Emotion::Surprise, &[
        "surprised", "surprising", "surprisingly", "surprise", "shocked", "shocking", "shock",
        "stunned", "astonish*", "amazed", "astound*", "speechless", "gobsmacked", "flabbergasted",
        "taken aback", "wow", "whoa", "woah", "omg", "oh my god", "oh my gosh", "no way",
        "wait what", "cant believe", "couldnt believe", "cannot believe", "unbelievable",
        "didnt expect", "did not expect", "never expected", "wasnt expecting", "not expecting",
        "unexpected", "unexpectedly", "out of nowhere", "out of the blue", "turns out",
        "turned out", "plot twist", "who knew", "of all things", "jaw dropped", "jaw drop*",
        "blown away", "mind blown", "didnt see that coming", "caught (me|us) off guard",
        "suddenly", "all of a sudden", "to my surprise", "wait,", "huh", "had no idea",
        "never knew", "(didnt|did not|nobody|no one|never) (see|saw) .. coming", "never thought",
        "apparently", "bingo card", "never seen (that|this|anything like)", "thats new",
        "parallel universe", "how did i miss",
    ]),
    (Emotion::Sadness, &[
        "sad", "sadly", "sadness", "unhappy", "upset", "disappointed", "disappointing",
        "disappointment", "let down", "gutted", "heartbroken", "heartbreaking", "broke my heart",
        "devastated", "crushed", "depressed", "depressing", "miserable", "down in the dumps",
        "miss", "missing", "missed", "i miss", "lonely", "cry", "crying", "cried",
        "tears", "in tears", "end of an era", "rip", "sorry to see", "shame", "such a shame",
        "pity", "regret*", "used to be", "not the same",
        "sorrow", "grief", "grieving", "mourn*", "bummed", "bummer", "deflated", "hopeless",
        "passed away", "goodbye", "farewell", "(he|she|they) passed",
        "feel* (flat|low|down|empty|emptier|quiet|forgotten)", "sulk*", "forgotten",
        "late (mum|mom|dad|father|mother|wife|husband|grandmother|grandfather|gran|grandma|grandad|friend)",
        "not the .. i hoped", "(first|last) (christmas|birthday|holiday) without",
    ]),
];

/// Emoji that carry an emotion on their own, with the variation selector
/// (U+FE0F) that often follows them ignored.
pub(super) const EMOJI: &[(Emotion, &[char])] = &[
    (Emotion::Anger, &['😠', '😡', '🤬', '😤', '👿', '💢']),
    (Emotion::Disgust, &['🤢', '🤮']),
    (Emotion::Fear, &['😨', '😰', '😱', '😟', '😧', '😬']),
    (
        Emotion::Joy,
        &[
            '😀', '😃', '😄', '😁', '😆', '😊', '☺', '🥰', '😍', '🤩', '🥳', '🎉', '🙌', '❤', '💕',
            '💖', '💗', '😻',
        ],
    ),
    (Emotion::Surprise, &['😮', '😯', '😲', '🤯', '😳']),
    (
        Emotion::Sadness,
        &['😢', '😭', '😞', '😔', '💔', '☹', '🙁', '😥', '😿', '🥺'],
    ),
];

pub(super) static TABLE: LazyLock<Table<Emotion>> = LazyLock::new(|| Table::new(CUES));
