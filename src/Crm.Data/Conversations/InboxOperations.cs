using Crm.Data.Events;
using Microsoft.EntityFrameworkCore;

namespace Crm.Data.Conversations;

/// <summary>What staff do to a conversation in the inbox: read state, status and snooze.</summary>
public sealed class InboxOperations(CrmDbContext db, UnitOfWork work, TimeProvider clock)
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

    /// <summary>Locked while it changes, like a new activity moving the same row: neither can undo the other.</summary>
    private Task<Conversation> ChangeAsync(Guid id, Action<Conversation> change, CancellationToken cancellationToken) => work.RunAsync(async ct =>
    {
        var conversation = await db.Conversations.ForUpdate().FirstOrDefaultAsync(c => c.Id == id, ct)
            ?? throw new NotFoundException(nameof(Conversation), id);
        change(conversation);
        // Inbox lists on every tab and instance re-render the row.
        return Change.Of(conversation, new ConversationUpdated(conversation.Id));
    }, cancellationToken);
}
