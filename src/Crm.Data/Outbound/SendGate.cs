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
        return contact.SmsOptedOutAt is { } at ? new ContactOptedOutException(contact.Id, at) : null;
    }

    /// <summary>
    /// An incoming text that is exactly a keyword changes the contact's opt-out; true when it did. A START older than the
    /// recorded STOP (deliveries out of order) does not undo it.
    /// </summary>
    public static bool ApplyKeyword(Contact contact, string? body, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(contact);
        var word = body?.Trim().TrimEnd('.', '!');
        if (word is null)
        {
            return false;
        }

        if (OptOutWords.Contains(word) && contact.SmsOptedOutAt is null)
        {
            contact.SmsOptedOutAt = at;
            return true;
        }

        if (OptInWords.Contains(word) && contact.SmsOptedOutAt is { } optedOut && at > optedOut)
        {
            contact.SmsOptedOutAt = null;
            return true;
        }

        return false;
    }
}
