namespace Crm.Tests.Webhooks;

/// <summary>Deliveries built for a test, in the shapes of the samples.</summary>
internal static class Payloads
{
    /// <summary>The call that the summary and transcript samples are about.</summary>
    public const string SummarizedCallId = "AC16558bc5f73445598a2627f5a94fe014";

    /// <summary>An answered incoming call in the v4 shape (participants, no from/to).</summary>
    public static string CallCompleted(string eventId, string callId) => $$$$"""
        {"id":"{{{{eventId}}}}","object":"event","apiVersion":"v4","createdAt":"2022-06-24T19:34:55.000Z","type":"call.completed",
         "data":{"object":{"id":"{{{{callId}}}}","object":"call","answeredAt":"2022-06-24T19:30:10Z","answeredBy":"USlHhXmRMz",
         "direction":"incoming","status":"completed","completedAt":"2022-06-24T19:34:50Z","createdAt":"2022-06-24T19:30:00Z",
         "duration":280,"phoneNumberId":"PN1ZmRMzlx","participants":["+19876543210"],"userId":"USlHhXmRMz","contactIds":[]}}}
        """;

    /// <summary>The message.received sample without our line's id or number: the delivery names none of our lines, so it is refused.</summary>
    public static string WithoutLine(string body) =>
        body.Replace("\"phoneNumberId\": \"PNtoDbDhuz\",", string.Empty, StringComparison.Ordinal)
            .Replace("[\"+15555555555\"]", "[]", StringComparison.Ordinal);

    public static string WithEventId(string body, string eventId) =>
        System.Text.RegularExpressions.Regex.Replace(body, "\"id\": ?\"EV[^\"]*\"", $"\"id\": \"{eventId}\"");
}
