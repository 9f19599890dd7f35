using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Crm.Data.Compliance;

public enum InboundIntent
{
    None,
    OptOut,
    OptIn,
    Help,
}

public enum ClassificationSource
{
    /// <summary>The whole text is one keyword, perhaps padded, repeated or made polite: decided by definition.</summary>
    Keyword,

    /// <summary>Judged by the free-text detector: act on High, send Medium to a human, ignore Low.</summary>
    FreeText,
}

public enum OptOutConfidence
{
    High,
    Medium,
    Low,
}

/// <param name="Intent">What the text asks for; None when nothing is to be done.</param>
/// <param name="Source">Whether a keyword decided it or the free-text detector judged it.</param>
/// <param name="HandledByOpenPhone">
/// True only when the text is one of the six words OpenPhone blocks and confirms itself, alone: we record the opt-out
/// and must not confirm it a second time.
/// </param>
/// <param name="Confidence">Free text only; Low comes with intent None (a hint for staff, nothing to act on).</param>
/// <param name="Score">0–1: 1 for a keyword, the detector's score for free text.</param>
/// <param name="Reason">Which rule matched, in words staff can read; at most 100 characters, never the text itself.</param>
public sealed record InboundClassification(
    InboundIntent Intent,
    ClassificationSource Source,
    bool HandledByOpenPhone,
    OptOutConfidence? Confidence,
    double Score,
    string Reason);

/// <summary>
/// Reads one inbound text for consent: the keywords the FCC and the carriers define (sending-and-compliance.md §1–2),
/// then a detector of free-text opt-outs in English and Spanish that a reasonable person would read as revoking consent,
/// without taking a repair customer's "can you stop by Tuesday?" for one. Pure: no database, no clock, no service.
/// </summary>
public static class InboundClassifier
{
    private const double HighAt = 0.8;
    private const double MediumAt = 0.5;
    private const double LowAt = 0.2;
    private const int MaxReasonLength = 100;

    // ---------------------------------------------------------------------------------------------------------------
    // Keywords
    // ---------------------------------------------------------------------------------------------------------------

    // OpenPhone acts on these single words itself (sending-and-compliance.md §1); the others are the FCC's and Twilio's.
    private static readonly HashSet<string> OpenPhoneOptOutWords =
        new(["stop", "stopall", "unsubscribe", "cancel", "end", "quit"], StringComparer.Ordinal);

    private static readonly Dictionary<string, InboundIntent> Keywords = new(StringComparer.Ordinal)
    {
        ["stop"] = InboundIntent.OptOut,
        ["stopall"] = InboundIntent.OptOut,
        ["unsubscribe"] = InboundIntent.OptOut,
        ["cancel"] = InboundIntent.OptOut,
        ["end"] = InboundIntent.OptOut,
        ["quit"] = InboundIntent.OptOut,
        ["revoke"] = InboundIntent.OptOut,
        ["optout"] = InboundIntent.OptOut,
        ["start"] = InboundIntent.OptIn,
        ["unstop"] = InboundIntent.OptIn,
        ["help"] = InboundIntent.Help,
        ["info"] = InboundIntent.Help,
    };

    // Two-word spellings of a keyword ("opt out", "opt-out" once the hyphen is gone, "stop all").
    private static readonly Dictionary<(string, string), string> KeywordPairs = new()
    {
        [("opt", "out")] = "optout",
        [("stop", "all")] = "stopall",
    };

    // Words people wrap a keyword in without changing it: "STOP please", "stop thanks", "Stop now".
    private static readonly HashSet<string> Politeness =
        new(["please", "pls", "plz", "plis", "plse", "thanks", "thank", "you", "thx", "ty", "tks", "now", "kindly"], StringComparer.Ordinal);

    // Spanish speakers reply with these single words ("Baja por favor") as English speakers reply STOP.
    private static readonly HashSet<string> SpanishOptOutWords =
        new(["baja", "alto", "basta", "cancelar", "parar", "desuscribir"], StringComparer.Ordinal);

    private static readonly HashSet<string> SpanishPoliteness = new(["por", "favor", "gracias"], StringComparer.Ordinal);

    // ---------------------------------------------------------------------------------------------------------------
    // Spelling: SMS shorthand and common typos, folded before any rule runs (the rules then only name the real words).
    // ---------------------------------------------------------------------------------------------------------------

    private static readonly Dictionary<string, string> Variants = new[]
    {
        ("text", new[] { "txt", "tex" }),
        ("texts", ["txts", "texs", "txtes"]),
        ("texting", ["txting", "textin", "textng", "texing", "txtin", "txtng", "textting"]),
        ("message", ["msg"]),
        ("messages", ["msgs", "mesages", "messeges"]),
        ("messaging", ["msging"]),
        ("stop", ["stpo", "sotp", "stopp", "stoppp", "stp", "stahp"]),
        ("please", ["pls", "plz", "plis", "plse"]),
        ("you", ["u"]),
        ("your", ["ur"]),
        ("from", ["frm"]),
        ("dont", ["dnt"]),
        ("unsubscribe", ["unsub"]),
        ("mensaje", ["msj"]),
        ("mensajes", ["msjs"]),
    }.SelectMany(v => v.Item2.Select(variant => (variant, v.Item1))).ToDictionary(StringComparer.Ordinal);

    // "unsubscribe" has no English neighbour, so any spelling within two edits of it means it (except its own forms).
    private const string Unsubscribe = "unsubscribe";
    private static readonly HashSet<string> UnsubscribeForms = new(["unsubscribed", "unsubscribes", "unsubscribing"], StringComparer.Ordinal);

    // ---------------------------------------------------------------------------------------------------------------
    // Free-text rules. Each runs on one clause of folded text (lower case, no accents or apostrophes, single spaces,
    // split at . ! ? ; , : and dashes). Word classes are written {Like_This} and expanded below.
    // ---------------------------------------------------------------------------------------------------------------

    private static readonly Dictionary<string, string> WordClasses = new(StringComparer.Ordinal)
    {
        // Verbs that ask for something to end. "stop" alone also means "visit" or "halt the work", so these only count
        // next to a word about messages.
        ["{Ask}"] = "stop|quit|cease|halt|end|cancel|discontinue",
        ["{Contacting}"] = "texting|messaging|contacting|spamming|calling|bothering|emailing|harassing",
        ["{Messages}"] = "texts?|messages?|sms|promos?|promotions?|ads|spam|reminders?|notifications?|alerts?|marketing",
        ["{Det}"] = "these|those|the|your|all|any|this|all the|all these|all of these|all your|all of your|such",
        ["{Verb}"] = "text|message|contact|call|email|send|bother|spam|harass",
        // Whom a request not to be texted is about. "my husband", "my old number" are somebody else: not an opt-out.
        ["{Self}"] = "me|us|this number|my number|this phone|my phone|my cell|this cell|my mobile|this line",
        ["{MensajesEs}"] = "mensajes?|textos?|sms|promociones|ofertas|mensajitos",
    };

    private static readonly Rule[] Rules =
    [
        // English
        new("asks us to stop the texts", 0.9, @"\b(?:{Ask}) (?:with )?(?:(?:{Det}) )?(?:{Contacting}|{Messages})\b", Guard.Negation | Guard.SomebodyElse),
        // "stop sending" needs an object about texts: "stop sending invoices to my old address" is about paper.
        new("asks us to stop the texts", 0.9, @"\b(?:{Ask}) (?:sending|getting|receiving) (?:(?:me|us) )?(?:(?:(?:{Det}) )?(?:{Messages})|these|them|those|this)\b|\b(?:{Ask}) sending(?: me| us)?$", Guard.Negation),
        new("says no more texts", 0.9, @"\bno more (?:of )?(?:(?:{Det}) )?(?:{Messages})\b", Guard.None),
        new("says no texts", 0.6, @"\bno (?:{Messages})\b(?! (?:before|after|until|till|on|during|at|between|past|in)\b)", Guard.None),
        new("has had enough of the texts", 0.85, @"\b(?:enough|done) with (?:(?:{Det}) )?(?:{Messages})\b", Guard.None),
        new("asks not to be texted", 0.9, @"\b(?:dont|do not|never|no longer) (?:ever )?(?:{Verb}) (?:(?:{Self})|again|anymore|any more)\b|\b(?:dont|do not) (?:{Verb})$", Guard.None),
        new("does not want the texts", 0.9, @"\b(?:dont|do not|no longer) (?:want|wish|need)\b(?: (?!(?:{Ask}|unsubscribe|opt)\b)\w+){0,4} (?:{Messages})\b", Guard.None),
        new("does not want to be texted", 0.9, @"\b(?:dont|do not) want (?:you )?to (?:{Verb}) (?:{Self})\b", Guard.None),
        new("asks to come off the list", 0.9, @"\b(?:take|get|scratch|cross) (?:me|us|my number|my name) (?:off|of|out of)\b", Guard.Negation),
        new("asks to come off the list", 0.9, @"\b(?:remove|delete|drop|erase|lose) (?:{Self}|my name|my info|my phone number|my contact info)\b", Guard.Negation),
        new("asks to come off the list", 0.8, @"\boff (?:your|the|this|ur) (?:\w+ )?list\b", Guard.Negation),
        // "unsubscribe my old email" is about something else.
        new("asks to unsubscribe", 0.9, @"\bunsubscribe\b", Guard.Negation | Guard.SomebodyElse),
        new("asks to opt out", 0.9, @"\bopt (?:me )?out\b|\boptout\b", Guard.Negation),
        new("revokes consent", 0.95, @"\brevoke\b|\b(?:withdraw|revoke|revoking|withdrawing|cancel) (?:my |all )?consent\b", Guard.Negation),
        new("asks to be left alone", 0.9, @"\bleave (?:me|us) alone\b|\bcease and desist\b", Guard.Negation),
        // A wrong number never consented; alone it goes to a human, since "wrong number" may be about an invoice's.
        new("says wrong number", 0.6, @"\b(?:wrong|not the right) (?:number|person|phone|guy|contact)\b(?! (?:on|in|for)\b)", Guard.None),
        // "not interested in financing" declines an offer, not the texts.
        new("says not interested", 0.55, @"\bnot interested\b(?! in\b)", Guard.None),
        new("says the texts are unsolicited", 0.4, @"\b(?:never signed up|didnt sign up|did not sign up|never gave you|who is this|how did you get (?:my|this) number|is spam)\b", Guard.None),

        // Spanish (accents folded: "más" is "mas")
        new("Spanish: no more messages", 0.9, @"\b(?:no mas|no quiero mas|basta de|basta con) (?:{MensajesEs})\b", Guard.None),
        new("Spanish: asks not to be texted", 0.9, @"\b(?:ya )?no (?:me |nos )?(?:envien|envie|envies|manden|mande|mandes|escriban|escriba|escribas|contacten|contacte|molesten|moleste|texteen|textee)\b", Guard.None),
        new("Spanish: asks us to stop the texts", 0.9, @"\b(?:dejen|deje|deja|dejar|paren|pare) de (?:enviar|mandar|escribir|contactar|textear|molestar)(?:me|nos)?\b", Guard.SpanishNegation),
        new("Spanish: does not want the texts", 0.9, @"\bno (?:quiero|deseo)(?: (?!(?:dejen|deje|dejar|paren)\b)\w+){0,3} (?:{MensajesEs})\b", Guard.None),
        new("Spanish: asks to unsubscribe", 0.9, @"\b(?:darme|dar|denme|deme|den|doy|me doy) de baja\b", Guard.SpanishNegation),
        new("Spanish: asks to come off the list", 0.9, @"\b(?:borrenme|saquenme|quitenme|eliminenme|borreme|saqueme|quiteme|borrame|sacame|quitame)\b|\b(?:borren|eliminen|quiten|borre|elimine) mi (?:numero|telefono|contacto)\b", Guard.SpanishNegation),
        new("Spanish: asks to be left alone", 0.9, @"\b(?:dejenme|dejeme|dejame) en paz\b", Guard.SpanishNegation),
        new("Spanish: says wrong number", 0.6, @"\bnumero equivocado\b", Guard.None),
        new("Spanish: says not interested", 0.55, @"\bno me interesa\b", Guard.None),
    ];

    // A clause that is only an opt-out word inside a longer text ("Stop. I'm not interested") goes to a human, since
    // "STOP! wrong slab" halts the crew. A whole text that is one misspelt ("Stopp", "unsubscibe") or Spanish opt-out
    // word means it.
    private const string BareClauseLabel = "a clause that is only an opt-out word";
    private const double BareClauseWeight = 0.7;
    private const string LoneWordLabel = "an opt-out word alone, misspelt or in Spanish";
    private const double LoneWordWeight = 0.85;

    // Someone who says they still want the texts, or that an opt-out was a slip, has not revoked anything.
    private static readonly (string Label, Regex Pattern)[] StillWantsTexts =
    [
        ("still wants texts", Build(@"\b(?:still want|keep (?:me|texting|sending|the texts)|add me back|use this (?:one|number)|text (?:me|us) (?:instead|here|at this|on this))\b")),
        ("says it was a mistake", Build(@"\b(?:by accident|accidentally|by mistake|mistakenly|didnt mean|did not mean|ignore (?:my|the) (?:last|previous)|sin querer|por error)\b")),
    ];

    private const double StillWantsTextsFactor = 0.2;

    // "dont stop texting me", "I don't want to unsubscribe": a negator just before the request, perhaps with filler.
    private static readonly Regex EnglishNegated = Build(
        @"\b(?:dont|do not|didnt|did not|never|not|doesnt|does not|no need to)(?: (?:please|just|ever|really|want|wanna|need|to|you|i|mean|meant|have|going|gonna|take|get|me|us))*$");

    // "if you don't stop texting me, I'll report you": a negator that makes a demand, not a retraction.
    private static readonly Regex ConditionalNegation = Build(@"\b(?:if|unless) (?:you )?$");

    private static readonly Regex SpanishNegated = Build(@"\b(?:no|nunca)(?: (?:quiero|deseo|me|voy|a|que|necesito))*$");

    // What follows the request names somebody or something else: "stop texting my wife", "unsubscribe my old email".
    private static readonly Regex SomebodyElseFollows = Build(@"^ (?:my (?!number|phone|cell|mobile)\w+|her|him|his)\b");

    private static readonly Regex ClauseBreak = new(@"[.!?;,:\u2014\u2013\u00BF\u00A1\r\n]+| - ", RegexOptions.CultureInvariant);
    private static readonly Regex NotAWordCharacter = new(@"[^\p{L}\p{Nd}]+", RegexOptions.CultureInvariant);

    /// <summary>Classifies one inbound text; null or blank is intent None.</summary>
    public static InboundClassification Classify(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return NothingFound("empty text");
        }

        var folded = Fold(text);
        if (KeywordOf(Words(folded)) is { } keyword)
        {
            var handled = OpenPhoneOptOutWords.Contains(OpenPhoneWord(text));
            var reason = $"keyword {keyword.Word.ToUpperInvariant()}{(handled ? " (OpenPhone confirms it)" : "")}";
            return new InboundClassification(keyword.Intent, ClassificationSource.Keyword, handled, null, 1, reason);
        }

        return DetectOptOut(folded);
    }

    private static InboundClassification DetectOptOut(string folded)
    {
        var clauses = ClauseBreak.Split(folded).Select(c => string.Join(' ', Words(c).Select(Canonical))).Where(c => c.Length > 0).ToList();
        var fired = new List<(string Label, double Weight)>();
        var negated = new List<string>();
        foreach (var clause in clauses)
        {
            foreach (var rule in Rules)
            {
                switch (rule.Judge(clause))
                {
                    case Verdict.Fired:
                        fired.Add((rule.Label, rule.Weight));
                        break;
                    case Verdict.Negated:
                        negated.Add(rule.Label);
                        break;
                }
            }

            if (IsBareOptOutClause(clause))
            {
                fired.Add(clauses.Count == 1 ? (LoneWordLabel, LoneWordWeight) : (BareClauseLabel, BareClauseWeight));
            }
        }

        if (fired.Count == 0)
        {
            return NothingFound(negated.Count > 0 ? $"negated: {negated[0]}" : "no opt-out wording");
        }

        // Independent cues reinforce each other ("wrong number" + "don't text me") without ever reaching 1.
        // A label counts once, at its strongest, however many clauses or patterns say it.
        var cues = fired.GroupBy(f => f.Label).Select(g => (Label: g.Key, Weight: g.Max(f => f.Weight))).OrderByDescending(c => c.Weight).ToList();
        var score = 1 - cues.Aggregate(1.0, (left, c) => left * (1 - c.Weight));
        var reason = string.Join("; ", cues.Take(2).Select(c => c.Label));
        var whole = string.Join(" | ", clauses);
        foreach (var (label, pattern) in StillWantsTexts)
        {
            if (pattern.IsMatch(whole))
            {
                score *= StillWantsTextsFactor;
                reason += $" (but {label})";
                break;
            }
        }

        score = Math.Round(score, 2);
        var confidence = score >= HighAt ? OptOutConfidence.High : score >= MediumAt ? OptOutConfidence.Medium : score >= LowAt ? OptOutConfidence.Low : (OptOutConfidence?)null;
        var intent = confidence is OptOutConfidence.High or OptOutConfidence.Medium ? InboundIntent.OptOut : InboundIntent.None;
        return new InboundClassification(intent, ClassificationSource.FreeText, false, confidence, score, Shorten(reason));
    }

    private static InboundClassification NothingFound(string reason) =>
        new(InboundIntent.None, ClassificationSource.FreeText, false, null, 0, reason);

    /// <summary>The text's one keyword when every word of it is that keyword or politeness; null otherwise.</summary>
    private static (string Word, InboundIntent Intent)? KeywordOf(string[] words)
    {
        var meaningful = new List<string>();
        for (var i = 0; i < words.Length; i++)
        {
            if (i + 1 < words.Length && KeywordPairs.TryGetValue((words[i], words[i + 1]), out var pair))
            {
                meaningful.Add(pair);
                i++;
            }
            else if (!Politeness.Contains(words[i]))
            {
                meaningful.Add(words[i]);
            }
        }

        if (meaningful.Count == 0 || !Keywords.TryGetValue(meaningful[0], out var intent))
        {
            return null;
        }

        // "STOP STOP" and "stop unsubscribe" say one thing; "stop start" says two.
        return meaningful.All(w => Keywords.TryGetValue(w, out var other) && other == intent) ? (meaningful[0], intent) : null;
    }

    private static bool IsBareOptOutClause(string clause)
    {
        var words = clause.Split(' ');
        var spanish = words.Where(w => !SpanishPoliteness.Contains(w)).ToList();
        return KeywordOf(words) is { Intent: InboundIntent.OptOut } || (spanish.Count == 1 && SpanishOptOutWords.Contains(spanish[0]));
    }

    /// <summary>
    /// The text as OpenPhone compares it: one word, trimmed, and a trailing "." or "!" (as SendGate has agreed with it
    /// so far). Anything more, "STOP please" or "STOP 🛑", OpenPhone leaves to us.
    /// </summary>
    private static string OpenPhoneWord(string text) => text.Trim().TrimEnd('.', '!').ToLowerInvariant();

    /// <summary>Lower case, accents and apostrophes gone ("Don’t" is "dont", "más" is "mas"); punctuation kept.</summary>
    private static string Fold(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text.Normalize(NormalizationForm.FormD))
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark && c is not ('\'' or '\u2019' or '\u2018' or '\u02BC' or '`'))
            {
                builder.Append(char.ToLowerInvariant(c));
            }
        }

        return builder.ToString();
    }

    /// <summary>Letters and digits only: punctuation, quotes and emoji around or between words are dropped.</summary>
    private static string[] Words(string folded) => NotAWordCharacter.Split(folded).Where(w => w.Length > 0).ToArray();

    private static string Canonical(string word)
    {
        if (Variants.TryGetValue(word, out var canonical))
        {
            return canonical;
        }

        return word.Length >= 8 && word[0] == 'u' && !UnsubscribeForms.Contains(word) && EditDistance(word, Unsubscribe) <= 2 ? Unsubscribe : word;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.</summary>
    private static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    private static string Shorten(string reason) => reason.Length <= MaxReasonLength ? reason : reason[..(MaxReasonLength - 1)] + "…";

    private static Regex Build(string pattern)
    {
        foreach (var (name, words) in WordClasses)
        {
            pattern = pattern.Replace(name, words, StringComparison.Ordinal);
        }

        return new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    [Flags]
    private enum Guard
    {
        None = 0,

        /// <summary>A negator just before the match retracts it ("don't stop texting me").</summary>
        Negation = 1,

        /// <summary>Spanish negator before the match ("no quiero darme de baja").</summary>
        SpanishNegation = 2,

        /// <summary>The request is about someone or something else ("stop texting my wife").</summary>
        SomebodyElse = 4,
    }

    private enum Verdict
    {
        NoMatch,
        Fired,
        Negated,
    }

    private sealed class Rule(string label, double weight, string pattern, Guard guards)
    {
        private readonly Regex _pattern = Build(pattern);

        public string Label { get; } = label;

        public double Weight { get; } = weight;

        public Verdict Judge(string clause)
        {
            var verdict = Verdict.NoMatch;
            foreach (Match match in _pattern.Matches(clause))
            {
                var before = clause[..match.Index].TrimEnd();
                var after = clause[(match.Index + match.Length)..];
                if (guards.HasFlag(Guard.SomebodyElse) && SomebodyElseFollows.IsMatch(after))
                {
                    continue;
                }

                if (IsNegated(before))
                {
                    verdict = Verdict.Negated;
                    continue;
                }

                return Verdict.Fired;
            }

            return verdict;
        }

        private bool IsNegated(string before)
        {
            if (guards.HasFlag(Guard.SpanishNegation))
            {
                return SpanishNegated.IsMatch(before);
            }

            if (!guards.HasFlag(Guard.Negation))
            {
                return false;
            }

            var negator = EnglishNegated.Match(before);
            return negator.Success && !ConditionalNegation.IsMatch(before[..negator.Index]);
        }
    }
}
