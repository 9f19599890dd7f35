using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Crm.Data;
using Crm.Data.Activities;
using Crm.Data.Contacts;
using Crm.Data.Users;
using Crm.GraphQL.Activities;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Contacts;
using Crm.GraphQL.Server.Querying;
using GraphQL;
using GraphQL.Types;
using Microsoft.EntityFrameworkCore;

namespace Crm.GraphQL.Search;

/// <summary>
/// One box for staff: contacts by name, company or phone digits ("617 555", "(617)"), then messages by text, newest
/// first. Every condition is a lower(column) LIKE that PostgreSQL serves from trigram indexes.
/// </summary>
internal static class SearchQueries
{
    private const int ContactSection = 0;
    private const int MessageSection = 1;

    public static void Register(ObjectGraphType query)
    {
        query.Field<NonNullGraphType<SearchResultsConnectionType>>("search")
            .Description("Contacts whose name, company or phone matches, best matches first; then messages containing the text, newest first.")
            .RequireRole(CrmRole.Viewer)
            .Argument<NonNullGraphType<StringGraphType>>("text", "What to look for: words of a name, digits of a phone number, or text of a message.")
            .PagingArguments()
            .ResolveAsync(async ctx =>
            {
                var text = ctx.GetArgument<string>("text").Trim();
                if (text.Length is < 2 or > 100)
                {
                    throw new ExecutionError("Search text must be 2 to 100 characters.") { Code = "INVALID_SEARCH" };
                }

                var request = ctx.GetPageRequest();
                if (request.Last is not null || request.Before is not null)
                {
                    throw new ExecutionError("search pages forward only: use first and after.") { Code = "PAGING_ARGUMENTS_CONFLICT" };
                }

                return await SearchAsync(ctx.RequestServices!.GetRequiredService<CrmDbContext>(), text, request, ctx.CancellationToken);
            });
    }

    private static async Task<Page<object>> SearchAsync(CrmDbContext db, string text, PageRequest request, CancellationToken cancellationToken)
    {
        var size = request.First ?? Keyset.DefaultPageSize;
        var (section, offset) = request.After is null ? (ContactSection, 0) : Decode(request.After);
        var contacts = Contacts(db, text);
        var messages = Messages(db, text);

        var rows = new List<(object Row, int Section, int Index)>();
        if (section == ContactSection)
        {
            var found = await contacts.Skip(offset).Take(size + 1).ToListAsync(cancellationToken);
            rows.AddRange(found.Select((c, i) => ((object)c, ContactSection, offset + i)));
            offset = 0;
        }

        if (rows.Count <= size)
        {
            var found = await messages.Skip(offset).Take(size + 1 - rows.Count).ToListAsync(cancellationToken);
            rows.AddRange(found.Select((a, i) => ((object)a, MessageSection, offset + i)));
        }

        var more = rows.Count > size;
        var edges = rows.Take(size).Select(r => new Edge<object>(() => Encode(r.Section, r.Index + 1), r.Row)).ToList();
        var info = PageInfo.Of(edges, more, request.After is not null);
        return new Page<object>(edges, info, async ct => await contacts.CountAsync(ct) + await messages.CountAsync(ct));
    }

#pragma warning disable CA1304, CA1311, CA1862 // SQL, not .NET: EF Core translates ToLower() to lower(); culture overloads do not translate.
    private static IQueryable<Contact> Contacts(CrmDbContext db, string text)
    {
        var query = db.Contacts.AsNoTracking();
        var digits = new string([.. text.Where(char.IsAsciiDigit)]);
        if (digits.Length >= 3 && digits.Length * 2 >= text.Count(c => !char.IsWhiteSpace(c)))
        {
            // Mostly digits: a phone number in any formatting. E.164 holds the digits contiguously.
            return query.Where(c => c.Phone != null && c.Phone.Contains(digits)).OrderBy(c => c.Phone).ThenBy(c => c.Id);
        }

        var words = text.ToLower(CultureInfo.InvariantCulture).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach (var word in words)
        {
            query = query.Where(c => (c.FirstName != null && c.FirstName.ToLower().Contains(word))
                || (c.LastName != null && c.LastName.ToLower().Contains(word))
                || (c.Company != null && c.Company.ToLower().Contains(word)));
        }

        var first = words[0];
        return query
            .OrderBy(c => (c.LastName != null && c.LastName.ToLower().StartsWith(first)) || (c.FirstName != null && c.FirstName.ToLower().StartsWith(first)) ? 0 : 1)
            .ThenBy(c => c.LastName).ThenBy(c => c.FirstName).ThenBy(c => c.Id);
    }

    private static IQueryable<Activity> Messages(CrmDbContext db, string text)
    {
        var term = text.ToLower(CultureInfo.InvariantCulture);
        return db.Activities.AsNoTracking()
            .Where(a => a.Kind == ActivityKind.Message && a.Body != null && a.Body.ToLower().Contains(term))
            .OrderByDescending(a => a.OccurredAt).ThenByDescending(a => a.Id);
    }
#pragma warning restore CA1304, CA1311, CA1862

    private static string Encode(int section, int next) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"search:{section}:{next}"));

    private static (int Section, int Offset) Decode(string cursor)
    {
        var parts = cursor.Length <= 64 && Base64Url.IsValid(cursor) ? Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor)).Split(':') : [];
        return parts is ["search", var s, var o] && int.TryParse(s, CultureInfo.InvariantCulture, out var section) && section is ContactSection or MessageSection
            && int.TryParse(o, CultureInfo.InvariantCulture, out var offset) && offset is >= 0 and <= 10_000
            ? (section, offset)
            : throw new ExecutionError("The cursor is not valid.") { Code = "INVALID_CURSOR" };
    }
}

internal sealed class SearchResultType : UnionGraphType
{
    public SearchResultType()
    {
        Name = "SearchResult";
        Description = "A contact or a message that matched a search.";
        Type<ContactType>();
        Type<ActivityType>();
    }
}

internal sealed class SearchResultsConnectionType() : ConnectionGraphType<SearchResultType, object>("SearchResults", "A page of search results: contacts first, then messages.");
