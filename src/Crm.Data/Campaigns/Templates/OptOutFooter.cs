using Crm.Data.Outbound;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Crm.Data.Campaigns;

/// <summary>
/// The opt-out instructions (<c>Campaigns:OptOutFooter</c>) that the first marketing text a contact ever receives
/// carries, and which contacts that is. "Received" means sent: a text still queued, skipped or failed never reached them.
/// </summary>
public sealed class OptOutFooter(CrmDbContext db, IOptions<CampaignOptions> options)
{
    public string Text => options.Value.OptOutFooter;

    /// <summary>
    /// <paramref name="body"/> with <paramref name="footer"/> on a line of its own when this is the contact's first
    /// marketing text, unless the body already says it.
    /// </summary>
    public static string Append(string body, string footer, bool isFirstMarketing) =>
        Applies(body, footer, isFirstMarketing) ? body.TrimEnd() + "\n" + footer.Trim() : body;

    /// <summary>Whether <see cref="Append(string, string, bool)"/> adds the footer: a first marketing text, a footer, a body without it.</summary>
    public static bool Applies(string body, string footer, bool isFirstMarketing)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(footer);
        return isFirstMarketing && footer.Trim().Length > 0 && !body.Contains(footer.Trim(), StringComparison.OrdinalIgnoreCase);
    }

    public string Append(string body, bool isFirstMarketing) => Append(body, Text, isFirstMarketing);

    /// <summary>Of <paramref name="contactIds"/>, those that have never been sent a marketing text.</summary>
    public async Task<IReadOnlySet<Guid>> NeverMarketedAsync(IReadOnlyCollection<Guid> contactIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(contactIds);
        var marketed = await Marketed().Where(id => contactIds.Contains(id)).Distinct().ToListAsync(cancellationToken);
        return contactIds.Except(marketed).ToHashSet();
    }

    /// <summary>The contacts that were sent a marketing text (with repeats), as a query to compose: <c>!Marketed().Contains(c.Id)</c>.</summary>
    public IQueryable<Guid> Marketed() =>
        from o in db.OutboundMessages
        join a in db.Activities on o.ActivityId equals a.Id
        where o.Purpose == SendPurpose.Marketing && a.SentAt != null
        select a.ContactId;
}
