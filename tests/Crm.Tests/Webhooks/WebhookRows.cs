using Crm.Data;
using Microsoft.EntityFrameworkCore;

namespace Crm.Tests.Webhooks;

/// <summary>Everything a delivery can write, without volatile ids and clock times, so snapshots compare behaviour.</summary>
internal static class WebhookRows
{
    public static async Task<object> ReadAsync(CrmDbContext db)
    {
        var lines = await db.PhoneNumbers.AsNoTracking().OrderBy(p => p.OpenPhoneId).ToListAsync();
        var contacts = await db.Contacts.AsNoTracking().OrderBy(c => c.Phone).ToListAsync();
        var conversations = await db.Conversations.AsNoTracking().ToListAsync();
        var activities = await db.Activities.AsNoTracking().OrderBy(a => a.OpenPhoneId).ToListAsync();
        var events = await db.WebhookEvents.AsNoTracking().OrderBy(e => e.EventId).ToListAsync();
        string? Phone(Guid contactId) => contacts.FirstOrDefault(c => c.Id == contactId)?.Phone;
        string? Line(Guid lineId) => lines.FirstOrDefault(l => l.Id == lineId)?.OpenPhoneId;

        return new
        {
            WebhookEvents = events.Select(e => new { e.EventId, e.Type, e.ApiVersion, Status = e.Status.ToString(), e.Attempts, e.LastError, RetryPending = e.NextAttemptAt is not null, Processed = e.ProcessedAt is not null }),
            PhoneNumbers = lines.Select(l => new { l.OpenPhoneId, l.Number }),
            Contacts = contacts.Select(c => new { c.Phone, c.FirstName, c.LastName, c.Company, c.Email, Source = c.Source.ToString(), c.OpenPhoneContactId }),
            Conversations = conversations.OrderBy(c => Phone(c.ContactId)).Select(c => new
            {
                Contact = Phone(c.ContactId),
                Line = Line(c.PhoneNumberId),
                c.OpenPhoneConversationId,
                c.LastActivityAt,
                LastActivity = activities.FirstOrDefault(a => a.Id == c.LastActivityId)?.OpenPhoneId,
                LastActivityKind = c.LastActivityKind?.ToString(),
                c.LastActivityPreview,
                c.LastInboundAt,
                c.UnreadCount,
                Status = c.Status.ToString(),
            }),
            Activities = activities.Select(a => new
            {
                a.OpenPhoneId,
                Contact = Phone(a.ContactId),
                Conversation = conversations.FirstOrDefault(c => c.Id == a.ConversationId)?.OpenPhoneConversationId,
                Kind = a.Kind.ToString(),
                Direction = a.Direction.ToString(),
                a.Status,
                a.FromNumber,
                a.ToNumbers,
                a.Body,
                a.Media,
                a.OccurredAt,
                a.AnsweredAt,
                a.CompletedAt,
                a.DurationSeconds,
                a.Voicemail,
                a.Recordings,
                a.AiSummary,
                a.AiNextSteps,
                a.Transcript,
            }),
        };
    }
}
