namespace Crm.Data.Outbound;

/// <summary>Why a text is sent: the send gate's rules differ for each.</summary>
public enum SendPurpose
{
    /// <summary>Staff texting a contact: allowed at any hour (with a warning outside 8:00–21:00 for the recipient).</summary>
    Conversation,

    /// <summary>Campaigns and follow-ups: quiet hours, caps, consent and pending reviews apply.</summary>
    Marketing,

    /// <summary>The one confirmation of an opt-out the CRM detected: the only text an opted-out contact gets.</summary>
    Confirmation,

    /// <summary>The answer to HELP or INFO.</summary>
    Help,
}
