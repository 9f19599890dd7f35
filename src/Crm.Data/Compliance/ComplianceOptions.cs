namespace Crm.Data.Compliance;

/// <summary>Settings under <c>Compliance</c>: the business's own rules for marketing texts, and its automatic replies.</summary>
public sealed class ComplianceOptions
{
    public const string Section = "Compliance";

    /// <summary>The business's window for marketing texts in the recipient's time, inside the legal ones: "09:00-20:00".</summary>
    public string MarketingHours { get; set; } = "09:00-20:00";

    /// <summary>At most this many marketing texts to one contact per <see cref="MarketingWindowDays"/>, across campaigns.</summary>
    public int MarketingMaxPerContact { get; set; } = 2;

    public int MarketingWindowDays { get; set; } = 30;

    /// <summary>The one reply to HELP or INFO (CTIA: who we are, how to reach us, rates, how to stop).</summary>
    public string HelpText { get; set; } =
        "Attack-a-Crack Concrete Repair: reply here or call this number for help. Msg & data rates may apply. Reply STOP to opt out.";

    /// <summary>The one confirmation of an opt-out OpenPhone did not handle itself (FCC 24-24: no marketing in it).</summary>
    public string OptOutConfirmationText { get; set; } =
        "Attack-a-Crack Concrete Repair: you are unsubscribed and will get no more texts from us. Reply START to text with us again.";

    /// <summary>Replace curly quotes, dashes and other lookalikes with GSM characters before sending, so a text stays GSM-7 (cheaper).</summary>
    public bool ReplaceLookalikes { get; set; }
}
