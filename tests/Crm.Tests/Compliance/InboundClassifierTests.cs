using System.Globalization;
using Crm.Data.Compliance;
using Xunit.Abstractions;

namespace Crm.Tests.Compliance;

public sealed class InboundClassifierTests(ITestOutputHelper output)
{
    private sealed record Row(string Label, string Text, InboundClassification Result);

    private static readonly string[] Labels = ["keyword-optout", "keyword-optin", "keyword-help", "optout", "trap"];

    private static List<Row> Corpus() =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Compliance", "inbound-corpus.tsv"))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('\t', 2))
            .Select(cells => new Row(cells[0], cells[1], InboundClassifier.Classify(cells[1])))
            .ToList();

    [Fact]
    public void CorpusAccuracy()
    {
        var rows = Corpus();
        Assert.True(rows.Count >= 150, $"{rows.Count} rows");
        Assert.All(rows, r => Assert.Contains(r.Label, Labels));

        foreach (var label in Labels)
        {
            var ofLabel = rows.Where(r => r.Label == label).ToList();
            var counts = string.Join(", ", ofLabel.GroupBy(Outcome).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => $"{g.Key} {g.Count()} ({Rate(g.Count(), ofLabel.Count)})"));
            output.WriteLine($"{label,-15} {ofLabel.Count,3}: {counts}");
        }

        output.WriteLine("");
        foreach (var row in rows.Where(r => !Expected(r)))
        {
            output.WriteLine($"MISS {row.Label}: \"{row.Text}\" -> {Outcome(row)} {row.Result.Score} ({row.Result.Reason})");
        }

        foreach (var row in rows.Where(r => r.Label == "trap" && r.Result.Confidence == OptOutConfidence.Low))
        {
            output.WriteLine($"trap with a weak cue: \"{row.Text}\" -> {row.Result.Score} ({row.Result.Reason})");
        }

        Assert.All(rows.Where(r => r.Label == "keyword-optout"), r => AssertKeyword(r, InboundIntent.OptOut));
        Assert.All(rows.Where(r => r.Label == "keyword-optin"), r => AssertKeyword(r, InboundIntent.OptIn));
        Assert.All(rows.Where(r => r.Label == "keyword-help"), r => AssertKeyword(r, InboundIntent.Help));

        var optOuts = rows.Where(r => r.Label == "optout").ToList();
        var caught = optOuts.Count(r => r.Result is { Intent: InboundIntent.OptOut, Confidence: OptOutConfidence.High or OptOutConfidence.Medium });
        Assert.True(caught >= 0.97 * optOuts.Count, $"free-text opt-outs caught: {caught} of {optOuts.Count}");

        var traps = rows.Where(r => r.Label == "trap").ToList();
        Assert.DoesNotContain(traps, r => r.Result.Intent == InboundIntent.OptOut && r.Result.Confidence == OptOutConfidence.High);
        Assert.DoesNotContain(traps, r => r.Result.Source == ClassificationSource.Keyword);
        var reviewed = traps.Count(r => r.Result.Confidence == OptOutConfidence.Medium);
        Assert.True(reviewed <= 0.10 * traps.Count, $"traps sent to review: {reviewed} of {traps.Count}");

        Assert.All(rows, r => Assert.InRange(r.Result.Reason.Length, 1, 100));
        Assert.All(rows, r => Assert.InRange(r.Result.Score, 0, 1));
    }

    private static void AssertKeyword(Row row, InboundIntent intent)
    {
        Assert.Equal(intent, row.Result.Intent);
        Assert.Equal(ClassificationSource.Keyword, row.Result.Source);
    }

    private static bool Expected(Row row) => row.Label switch
    {
        "keyword-optout" => row.Result is { Intent: InboundIntent.OptOut, Source: ClassificationSource.Keyword },
        "keyword-optin" => row.Result is { Intent: InboundIntent.OptIn, Source: ClassificationSource.Keyword },
        "keyword-help" => row.Result is { Intent: InboundIntent.Help, Source: ClassificationSource.Keyword },
        "optout" => row.Result is { Intent: InboundIntent.OptOut },
        _ => row.Result.Intent == InboundIntent.None,
    };

    private static string Outcome(Row row) => row.Result switch
    {
        { Source: ClassificationSource.Keyword } r => $"keyword {r.Intent}",
        { Confidence: { } c } r => $"{r.Intent} {c}",
        var r => r.Intent.ToString(),
    };

    private static string Rate(int part, int whole) => (100.0 * part / whole).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    [Theory]
    [InlineData("STOP")]
    [InlineData("stop")]
    [InlineData("Stop.")]
    [InlineData(" Stop! ")]
    [InlineData("STOPALL")]
    [InlineData("Unsubscribe")]
    [InlineData("cancel")]
    [InlineData("END")]
    [InlineData("Quit")]
    public void OpenPhoneHandlesItsSixWordsAlone(string text) =>
        Assert.Equal(1, AssertClassified(text, InboundIntent.OptOut, ClassificationSource.Keyword, handledByOpenPhone: true).Score);

    [Theory]
    [InlineData("STOP please", InboundIntent.OptOut)]
    [InlineData("Please stop", InboundIntent.OptOut)]
    [InlineData("STOP STOP", InboundIntent.OptOut)]
    [InlineData("STOP 🛑", InboundIntent.OptOut)]
    [InlineData("Stop all", InboundIntent.OptOut)]
    [InlineData("REVOKE", InboundIntent.OptOut)]
    [InlineData("OPTOUT", InboundIntent.OptOut)]
    [InlineData("opt out", InboundIntent.OptOut)]
    [InlineData("Opt-Out", InboundIntent.OptOut)]
    [InlineData("START", InboundIntent.OptIn)]
    [InlineData("UNSTOP", InboundIntent.OptIn)]
    [InlineData("HELP", InboundIntent.Help)]
    [InlineData("info", InboundIntent.Help)]
    public void OtherKeywordFormsAreLeftToUs(string text, InboundIntent intent) =>
        AssertClassified(text, intent, ClassificationSource.Keyword);

    [Theory]
    [InlineData("please stop texting me")]
    [InlineData("take me off your list")]
    [InlineData("unsubscribe me")]
    [InlineData("Wrong number, don't text this number")]
    [InlineData("no más mensajes")]
    [InlineData("If you don't stop texting me I'll report you")]
    [InlineData("Stopp")]
    [InlineData("Baja por favor")]
    public void PlainOptOutsAreHighAndNotOpenPhones(string text) =>
        AssertClassified(text, InboundIntent.OptOut, ClassificationSource.FreeText, confidence: OptOutConfidence.High);

    [Theory]
    [InlineData("don't stop texting me")]
    [InlineData("Please don't stop texting me, I like the reminders")]
    [InlineData("I don't want to unsubscribe")]
    [InlineData("I do not want to opt out")]
    [InlineData("Don't take me off the list")]
    [InlineData("I don't want to stop getting texts")]
    [InlineData("No quiero darme de baja")]
    public void NegatedOptOutsAreNone(string text) =>
        Assert.StartsWith("negated:", AssertClassified(text, InboundIntent.None, ClassificationSource.FreeText).Reason, StringComparison.Ordinal);

    [Theory]
    [InlineData("Can you stop texting my wife? She's not handling this")]
    [InlineData("Please don't text my old number")]
    [InlineData("Stop sending invoices to my old address")]
    public void RequestsAboutSomebodyElseAreNone(string text) =>
        Assert.Equal(InboundIntent.None, InboundClassifier.Classify(text).Intent);

    [Fact]
    public void AWrongNumberAloneGoesToReview() => Assert.Equal(
        "says wrong number",
        AssertClassified("Wrong number", InboundIntent.OptOut, ClassificationSource.FreeText, confidence: OptOutConfidence.Medium).Reason);

    [Fact]
    public void SayingItWasAMistakeOutweighsTheRequest() => Assert.Equal(
        "asks to unsubscribe (but still wants texts)",
        AssertClassified("I sent unsubscribe by accident, please keep texting me", InboundIntent.None, ClassificationSource.FreeText).Reason);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("👍")]
    [InlineData("please")]
    public void NothingToReadIsNone(string? text) =>
        Assert.Equal(0, AssertClassified(text, InboundIntent.None, ClassificationSource.FreeText).Score);

    [Fact]
    public void AReasonIsShortEvenWhenManyRulesMatch() => Assert.InRange(
        AssertClassified(
            "Wrong number, who is this? Not interested. Stop texting me, take me off your list, unsubscribe me, leave me alone",
            InboundIntent.OptOut, ClassificationSource.FreeText, OptOutConfidence.High).Reason.Length,
        1, 100);

    private static InboundClassification AssertClassified(
        string? text, InboundIntent intent, ClassificationSource source, OptOutConfidence? confidence = null, bool handledByOpenPhone = false)
    {
        var result = InboundClassifier.Classify(text);
        Assert.Equal(intent, result.Intent);
        Assert.Equal(source, result.Source);
        Assert.Equal(confidence, result.Confidence);
        Assert.Equal(handledByOpenPhone, result.HandledByOpenPhone);
        return result;
    }
}
