using Crm.Data.Activities;

namespace Crm.Data.Conversations;

/// <summary>The short text an inbox row shows for a conversation's latest activity.</summary>
public static class ConversationPreview
{
    public static string Of(Activity activity)
    {
        ArgumentNullException.ThrowIfNull(activity);
        return activity.Kind switch
        {
            ActivityKind.Message => Truncate(activity.Body ?? (activity.Media.Count > 0 ? "📎 Attachment" : string.Empty)),
            _ when activity.Voicemail is not null => "Voicemail",
            _ when activity.Status is "missed" or "no-answer" => activity.Direction == ActivityDirection.Incoming ? "Missed call" : "Unanswered call",
            _ => activity.Direction == ActivityDirection.Incoming ? "Incoming call" : "Outgoing call",
        };
    }

    private static string Truncate(string text) => text.Length <= 140 ? text : text[..139] + "…";
}
