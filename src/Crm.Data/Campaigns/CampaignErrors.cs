namespace Crm.Data.Campaigns;

/// <summary>The campaign is not in a state the action applies to: starting a completed one, editing a running one.</summary>
public sealed class CampaignStateException(Guid campaignId, CampaignStatus status, string action, string message) : DomainException(message)
{
    public Guid CampaignId { get; } = campaignId;

    public CampaignStatus Status { get; } = status;

    /// <summary>What was asked: start, pause, edit…</summary>
    public string Action { get; } = action;
}
