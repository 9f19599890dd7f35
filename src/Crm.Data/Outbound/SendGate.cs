using Crm.Data.Consent;
using Crm.Data.Contacts;

namespace Crm.Data.Outbound;

/// <summary>
/// The one place every outbound text passes, at enqueue and again just before its HTTP request. For now it refuses
/// contacts who opted out with one of OpenPhone's own keywords; the compliance issue adds the consent ledger, quiet
/// hours and caps here.
/// </summary>
public static class SendGate
{
    // OpenPhone acts on these single words itself (sending-and-compliance.md §1); we must agree with it.
    private static readonly HashSet<string> OptOutWords = new(["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"], StringComparer.OrdinalIgnoreCase);
    private static readonly HashSet<string> OptInWords = new(["START", "UNSTOP"], StringComparer.OrdinalIgnoreCase);

    /// <summary>Why the contact may not be texted now; null when they may.</summary>
    public static ContactOptedOutException? Refusal(Contact contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        return contact.SmsConsent is { Status: SmsConsentStatus.OptedOut, Since: { } since } ? new ContactOptedOutException(contact.Id, since) : null;
    }

    /// <summary>The consent an incoming text gives or withdraws by being exactly one of OpenPhone's keywords; null for any other text.</summary>
    public static ConsentStatus? Keyword(string? body)
    {
        var word = body?.Trim().TrimEnd('.', '!');
        return word switch
        {
            null => null,
            _ when OptOutWords.Contains(word) => ConsentStatus.OptedOut,
            _ when OptInWords.Contains(word) => ConsentStatus.OptedIn,
            _ => null,
        };
    }
}
