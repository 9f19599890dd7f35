using System.Text;
using System.Text.Json;
using Crm.Data;
using Crm.Data.Importing;
using Crm.Data.Users;
using Crm.GraphQL.Auth;
using Crm.GraphQL.Exports;
using Crm.GraphQL.Server.Conventions;
using Crm.GraphQL.Server.Querying;
using Crm.Jobs.Importing;
using Crm.Jobs.Importing.Contacts;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Crm.GraphQL.Importing;

/// <summary>
/// <c>POST /imports/contacts</c> takes a CSV upload, checks it can be read, stores it with a queued job and answers
/// 202; a worker imports it (<see cref="ContactCsvImporter"/>). <c>GET /imports/{id}/report</c> streams what became
/// of every row (or, for a history import, what failed). Marketers and up, authenticated like <c>/graphql</c>.
/// Errors are JSON in GraphQL's shape, so one client reads both.
/// </summary>
internal static class ImportEndpoints
{
    /// <summary>The form fields other than the file are small: a mapping of a few hundred columns at most.</summary>
    private const int MaxFieldBytes = 64 * 1024;

    /// <summary>What multipart framing adds around the file: boundaries, part headers and the other fields.</summary>
    private const long FramingBytes = 1024 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void MapImportEndpoints(this IEndpointRouteBuilder app)
    {
        var imports = app.MapGroup("/imports").RequireRateLimiting(AuthSetup.RequestPolicy);
        imports.MapPost("/contacts", UploadAsync);
        imports.MapGet("/{id}/report", ReportAsync);
    }

    private static async Task<IResult> UploadAsync(HttpContext http, IOptions<ImportRunnerOptions> settings, ImportJobOperations jobs, ImportFiles files, UnitOfWork work)
    {
        if (Refused(http) is { } refused)
        {
            return refused;
        }

        var maxBytes = settings.Value.MaxUploadBytes;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            // The server's own cap (30 MB by default) is below ours: ours applies, to the file itself, while it streams.
            limit.MaxRequestBodySize = maxBytes + FramingBytes;
        }

        var boundary = MediaTypeHeaderValue.TryParse(http.Request.ContentType, out var type) && type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            ? HeaderUtilities.RemoveQuotes(type.Boundary).Value
            : null;
        if (string.IsNullOrEmpty(boundary))
        {
            return Error(StatusCodes.Status400BadRequest, "Send multipart/form-data with the CSV in a 'file' field.", "BAD_REQUEST");
        }

        await using var upload = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        var sniffer = new CsvSniffer();
        var form = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? fileName = null;
        try
        {
            var reader = new MultipartReader(boundary, http.Request.Body);
            while (await reader.ReadNextSectionAsync(http.RequestAborted) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || disposition.Name.Value is not { } name)
                {
                    continue;
                }

                if (name == "file")
                {
                    fileName = Path.GetFileName(HeaderUtilities.RemoveQuotes(disposition.FileName).Value ?? "upload.csv");
                    if (!await CopyCappedAsync(section.Body, upload, sniffer, maxBytes, http.RequestAborted))
                    {
                        return TooLarge(maxBytes);
                    }
                }
                else if (await ReadFieldAsync(section.Body, http.RequestAborted) is { } value)
                {
                    form[name] = value;
                }
                else
                {
                    return Error(StatusCodes.Status400BadRequest, $"The field '{name}' is too long.", "BAD_REQUEST");
                }
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(maxBytes);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or BadHttpRequestException)
        {
            return Error(StatusCodes.Status400BadRequest, "The multipart body could not be read.", "BAD_REQUEST");
        }

        if (fileName is null)
        {
            return Error(StatusCodes.Status400BadRequest, "The 'file' field is missing.", "BAD_REQUEST");
        }

        ContactImportOptions options;
        try
        {
            options = Check(sniffer, fileName, form);
        }
        catch (InvalidCsvFileException ex)
        {
            return Error(StatusCodes.Status400BadRequest, ex.Message, "INVALID_FILE");
        }
        catch (InvalidFieldException ex)
        {
            return Error(StatusCodes.Status400BadRequest, ex.Message, "BAD_REQUEST");
        }

        upload.Position = 0;
        var job = await work.RunAsync(
            async ct =>
            {
                var started = await jobs.StartAsync(ImportKind.Contacts, options.Serialize(), http.ToActor(), ct);
                await files.StoreAsync(started.Id, upload, ct);
                return Change.Of(started);
            },
            http.RequestAborted);
        return Results.Json(new { job = new { id = NodeId.Encode("ImportJob", job.Id), status = "QUEUED", reportUrl = ReportUrl(job.Id) } }, Json, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>The report of a job, as <c>ImportJob.reportUrl</c> gives it.</summary>
    public static string ReportUrl(Guid jobId) => $"/imports/{NodeId.Encode("ImportJob", jobId)}/report";

    /// <summary>The options of an upload whose format, header and mapping were found usable.</summary>
    private static ContactImportOptions Check(CsvSniffer sniffer, string fileName, Dictionary<string, string> form)
    {
        var format = sniffer.Detect();
        Dictionary<string, string>? mapping = null;
        if (form.TryGetValue("mapping", out var json) && json.Trim().Length > 0)
        {
            try
            {
                mapping = JsonSerializer.Deserialize<Dictionary<string, string>>(json);
            }
            catch (JsonException)
            {
                throw new InvalidFieldException("mapping", "The mapping must be a JSON object of column header to field name, such as {\"Cell\": \"phone\"}.");
            }
        }

        ContactColumns.Resolve(sniffer.Header(format), mapping);
        var listName = form.GetValueOrDefault("listName")?.Trim();
        if (listName is { Length: > 200 })
        {
            throw new InvalidFieldException("listName", "A list name holds at most 200 characters.");
        }

        return new ContactImportOptions(fileName, format.Encoding, format.Delimiter, mapping, Flag(form, "dryRun"), Flag(form, "overwrite"), listName is { Length: > 0 } ? listName : null);
    }

    private static bool Flag(Dictionary<string, string> form, string name)
    {
        if (!form.TryGetValue(name, out var value) || value.Trim() is "" or "0" or "off")
        {
            return false;
        }

        return bool.TryParse(value.Trim(), out var flag) ? flag : value.Trim() is "1" or "on" ? true : throw new InvalidFieldException(name, $"'{name}' must be true or false.");
    }

    private static async Task ReportAsync(HttpContext http, string id, CrmDbContext db)
    {
        if (Refused(http) is { } refused)
        {
            await refused.ExecuteAsync(http);
            return;
        }

        var job = NodeId.TryDecode(id, out var typeName, out var jobId) && typeName == "ImportJob"
            ? await db.ImportJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId, http.RequestAborted)
            : null;
        if (job is null)
        {
            await Error(StatusCodes.Status404NotFound, "No such import job.", "NOT_FOUND").ExecuteAsync(http);
            return;
        }

        var fileName = $"import-{job.Id:N}-report.csv";
        if (job.Kind == ImportKind.Contacts)
        {
            var rows = db.ImportRows.AsNoTracking().Where(r => r.JobId == job.Id);
            await WriteAsync(http, fileName, ReportColumns, Keyset.PagesAsync(rows, [SortKey<ImportRow>.Asc(r => r.Row)], ExportEndpoints.PageSize, http.RequestAborted));
        }
        else
        {
            var errors = db.ImportErrors.AsNoTracking().Where(e => e.JobId == job.Id);
            await WriteAsync(http, fileName, ErrorColumns, Keyset.PagesAsync(errors, [SortKey<ImportError>.Asc(e => e.Id)], ExportEndpoints.PageSize, http.RequestAborted));
        }
    }

    /// <summary>The report as the exports write their files: BOM, formula cells escaped, page by page.</summary>
    private static async Task WriteAsync<T>(HttpContext http, string fileName, IReadOnlyList<CsvColumn<T>> columns, IAsyncEnumerable<IReadOnlyList<T>> pages)
    {
        await using var csv = CsvResponse<T>.Start(http.Response, fileName, columns);
        await foreach (var page in pages)
        {
            await csv.WriteAsync(page);
        }
    }

    private static readonly CsvColumn<ImportRow>[] ReportColumns =
    [
        new("row", r => r.Row.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("outcome", r => Screaming(r.Outcome.ToString())),
        new("reason", r => r.Reason),
        new("contactId", r => r.ContactId is { } contactId ? NodeId.Encode("Contact", contactId) : null),
        new("phone", r => r.Phone),
        new("email", r => r.Email),
    ];

    private static readonly CsvColumn<ImportError>[] ErrorColumns =
    [
        new("item", e => e.Item),
        new("message", e => e.Message),
        new("at", e => e.At.ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
    ];

    /// <summary>DuplicateInFile → DUPLICATE_IN_FILE, as the API spells enum values.</summary>
    private static string Screaming(string name) =>
        string.Concat(name.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + c : c.ToString())).ToUpperInvariant();

    /// <summary>401 without a caller, 403 below Marketer; null when the caller may import.</summary>
    private static IResult? Refused(HttpContext http) => http.User.Role() switch
    {
        null => Error(StatusCodes.Status401Unauthorized, "Sign in or send an API key.", "AUTH_NOT_AUTHENTICATED"),
        < CrmRole.Marketer => Error(StatusCodes.Status403Forbidden, "Imports need the MARKETER role or higher.", "AUTH_NOT_AUTHORIZED"),
        _ => null,
    };

    /// <summary>Copies the file part to the spool, feeding the sniffer; false as soon as it passes the limit.</summary>
    private static async Task<bool> CopyCappedAsync(Stream from, Stream to, CsvSniffer sniffer, long maxBytes, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, cancellationToken)) > 0)
        {
            sniffer.Append(buffer.AsSpan(0, read));
            if (sniffer.Length > maxBytes)
            {
                return false;
            }

            await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        return true;
    }

    private static async Task<string?> ReadFieldAsync(Stream body, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxFieldBytes + 1];
        var read = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
        return read > MaxFieldBytes ? null : Encoding.UTF8.GetString(buffer, 0, read);
    }

    private static IResult TooLarge(long maxBytes) =>
        Error(StatusCodes.Status413PayloadTooLarge, $"The file is larger than {maxBytes / (1024 * 1024)} MB (Imports:MaxUploadBytes).", "FILE_TOO_LARGE");

    private static IResult Error(int status, string message, string code) =>
        Results.Json(new { errors = new[] { new { message, extensions = new { code } } } }, Json, statusCode: status);
}
