using Microsoft.EntityFrameworkCore;

namespace Crm.Data.Conversations;

/// <summary>What staff do to a conversation in the inbox: read state, status and snooze.</summary>
public sealed class InboxOperations(CrmDbContext db, TimeProvider clock)
{
    public Task<Conversation> MarkReadAsync(Guid id, CancellationToken cancellationToken) =>
        ChangeAsync(id, c => c.UnreadCount = 0, cancellationToken);

    /// <summary>Flags a conversation for attention again; an already unread one keeps its count.</summary>
    public Task<Conversation> MarkUnreadAsync(Guid id, CancellationToken cancellationToken) =>
        ChangeAsync(id, c => c.UnreadCount = Math.Max(c.UnreadCount, 1), cancellationToken);

    public Task<Conversation> SetStatusAsync(Guid id, ConversationStatus status, CancellationToken cancellationToken) =>
        ChangeAsync(id, c => c.Status = status, cancellationToken);

    public Task<Conversation> SnoozeAsync(Guid id, DateTimeOffset until, CancellationToken cancellationToken)
    {
        if (until <= clock.GetUtcNow())
        {
            throw new InvalidFieldException("until", "A conversation can only be snoozed until a time in the future.");
        }

        return ChangeAsync(id, c => c.SnoozedUntil = until.ToUniversalTime(), cancellationToken);
    }

    public Task<Conversation> UnsnoozeAsync(Guid id, CancellationToken cancellationToken) =>
        ChangeAsync(id, c => c.SnoozedUntil = null, cancellationToken);

    private async Task<Conversation> ChangeAsync(Guid id, Action<Conversation> change, CancellationToken cancellationToken)
    {
        var conversation = await db.Conversations.FirstOrDefaultAsync(c => c.Id == id, cancellationToken)
            ?? throw new NotFoundException(nameof(Conversation), id);
        change(conversation);
        await db.SaveChangesAsync(cancellationToken);
        return conversation;
    }
}
