namespace Crm.Data.Campaigns;

/// <summary>Settings under <c>Campaigns</c> for what a campaign text says.</summary>
public sealed class TemplateOptions
{
    public const string Section = "Campaigns";

    /// <summary>Added on its own line to the first marketing text a contact ever receives; empty adds none.</summary>
    public string OptOutFooter { get; set; } = "Reply STOP to opt out";
}
