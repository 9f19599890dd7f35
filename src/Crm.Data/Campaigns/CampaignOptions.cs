namespace Crm.Data.Campaigns;

/// <summary>Settings under <c>Campaigns</c>: the defaults of a new campaign and the limits of every line.</summary>
public sealed class CampaignOptions
{
    public const string Section = "Campaigns";

    /// <summary>Marketing texts per line per day, across its campaigns: OpenPhone's cold-message limit. The day is the business time zone's.</summary>
    public int DailyCap { get; set; } = 125;

    public int PerMinute { get; set; } = 10;

    public string WindowStart { get; set; } = "09:00";

    public string WindowEnd { get; set; } = "18:00";

    /// <summary>
    /// ISO days of the week (1 Monday … 7 Sunday), comma-separated: a text, because configuration binding adds to a list's
    /// defaults instead of replacing them.
    /// </summary>
    public string WindowDays { get; set; } = "1,2,3,4,5";

    /// <summary>Added on its own line to the first marketing text a contact ever receives; empty adds none.</summary>
    public string OptOutFooter { get; set; } = "Reply STOP to opt out";

    /// <summary>A reply this many days after a campaign text counts as its reply (the most recent campaign's).</summary>
    public int AttributionWindowDays { get; set; } = 7;

    /// <summary>Contacts with one of these tags are never in an audience: do-not-contact and office numbers.</summary>
    public string ExcludeTags { get; set; } = "do-not-contact,office";

    public IReadOnlyList<int> Days() => [.. WindowDays.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(d => int.Parse(d, System.Globalization.CultureInfo.InvariantCulture))];

    public IReadOnlyList<string> Excluded() => ExcludeTags.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public int MinSample { get; set; } = 100;

    public double Confidence { get; set; } = 0.95;

    /// <summary>How often the dispatcher looks for texts to queue; each look queues the turns until the next.</summary>
    public TimeSpan Tick { get; set; } = TimeSpan.FromSeconds(15);
}
