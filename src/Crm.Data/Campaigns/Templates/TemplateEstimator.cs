using Crm.Data.Compliance;
using Crm.Data.Contacts;
using Crm.Data.Outbound;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Crm.Data.Campaigns;

/// <summary>A template rendered for every contact of an audience: what its texts would take and cost.</summary>
/// <param name="Contacts">Texts counted: one per contact of the audience.</param>
/// <param name="MinSegments">Fewest SMS parts of one text (0 with no contacts).</param>
/// <param name="MeanSegments">Mean parts per text.</param>
/// <param name="MaxSegments">Most parts of one text.</param>
/// <param name="TotalSegments">Parts of all the texts.</param>
/// <param name="PricePerSegment">Dollars per part (<c>OpenPhone:PricePerSegment</c>); each cost is parts × this.</param>
/// <param name="Encodings">The encodings the texts would travel in, GSM-7 first.</param>
/// <param name="Ucs2Texts">Texts that need UCS-2 (70 characters a part instead of 160).</param>
/// <param name="WithFooter">Texts that carry the opt-out footer: their contacts were never sent a marketing text.</param>
/// <param name="Missing">Per variable, contacts for whom it had no value and no fallback, so it rendered nothing.</param>
/// <param name="FellBack">Per variable, contacts for whom it rendered its fallback.</param>
public sealed record TemplateEstimate(
    int Contacts,
    int MinSegments,
    double MeanSegments,
    int MaxSegments,
    int TotalSegments,
    decimal PricePerSegment,
    IReadOnlyList<SmsEncoding> Encodings,
    int Ucs2Texts,
    int WithFooter,
    IReadOnlyDictionary<string, int> Missing,
    IReadOnlyDictionary<string, int> FellBack)
{
    public decimal MinCost => MinSegments * PricePerSegment;

    public decimal MeanCost => (decimal)MeanSegments * PricePerSegment;

    public decimal MaxCost => MaxSegments * PricePerSegment;

    public decimal TotalCost => TotalSegments * PricePerSegment;
}

/// <summary>
/// Renders a template for an audience as a send would — the contact's values, the opt-out footer for a first marketing
/// text, lookalikes replaced when <c>Compliance:ReplaceLookalikes</c> is on — and counts the parts.
/// </summary>
/// <remarks>
/// The audience is read in one query, with whether each contact was ever sent a marketing text, and rendered as its rows
/// stream in: the process holds one contact at a time, and the database plans one join for the whole audience instead of
/// one per page (pages seeking a list's members by contact id cost a scan of the list each until the tables are analyzed).
/// </remarks>
public sealed class TemplateEstimator(OptOutFooter footer, IOptions<OutboundOptions> outbound, IOptions<ComplianceOptions> compliance)
{
    /// <summary>The text a contact would get: the rendered template, its footer, lookalikes replaced as the outbound pipe would.</summary>
    public string Compose(RenderedText rendered, bool isFirstMarketing)
    {
        ArgumentNullException.ThrowIfNull(rendered);
        var text = footer.Append(rendered.Text, isFirstMarketing);
        return compliance.Value.ReplaceLookalikes ? SmsSegments.ToGsm(text) : text;
    }

    public SmsSegmentCount Count(string text) => SmsSegments.Count(text, outbound.Value.PricePerSegment);

    /// <param name="audience">A query of the scope's <see cref="CrmDbContext"/>.</param>
    /// <param name="template">The parsed template.</param>
    /// <param name="cancellationToken">Ends the read.</param>
    public async Task<TemplateEstimate> EstimateAsync(IQueryable<Contact> audience, MessageTemplate template, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(audience);
        ArgumentNullException.ThrowIfNull(template);
        int contacts = 0, total = 0, min = int.MaxValue, max = 0, ucs2 = 0, withFooter = 0;
        Dictionary<string, int> missing = new(StringComparer.Ordinal), fellBack = new(StringComparer.Ordinal);
        var marketed = footer.Marketed();
        var rows = audience.AsNoTracking()
            .Select(c => new { c.FirstName, c.LastName, c.Company, c.Address.City, c.CustomFields, IsFirst = !marketed.Contains(c.Id) })
            .AsAsyncEnumerable();
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            var contact = new Contact { FirstName = row.FirstName, LastName = row.LastName, Company = row.Company, Address = new Address { City = row.City }, CustomFields = row.CustomFields };
            var rendered = template.Render(contact);
            var count = Count(Compose(rendered, row.IsFirst));
            contacts++;
            total += count.Segments;
            min = Math.Min(min, count.Segments);
            max = Math.Max(max, count.Segments);
            ucs2 += count.Encoding == SmsEncoding.Ucs2 ? 1 : 0;
            withFooter += OptOutFooter.Applies(rendered.Text, footer.Text, row.IsFirst) ? 1 : 0;
            Tally(missing, rendered.Missing);
            Tally(fellBack, rendered.FellBack);
        }

        IReadOnlyList<SmsEncoding> encodings = [.. new[] { (SmsEncoding.Gsm7, contacts - ucs2), (SmsEncoding.Ucs2, ucs2) }.Where(e => e.Item2 > 0).Select(e => e.Item1)];
        return new TemplateEstimate(
            contacts, contacts == 0 ? 0 : min, contacts == 0 ? 0 : (double)total / contacts, max, total,
            outbound.Value.PricePerSegment, encodings, ucs2, withFooter, missing, fellBack);
    }

    private static void Tally(Dictionary<string, int> counts, IReadOnlyList<string> names)
    {
        foreach (var name in names)
        {
            counts[name] = counts.GetValueOrDefault(name) + 1;
        }
    }
}
