using CsvHelper;

namespace Crm.GraphQL.Exports;

/// <summary>One column of an export: its header and the text of a row's cell (null for an empty cell).</summary>
internal sealed record CsvColumn<T>(string Header, Func<T, string?> Value);

/// <summary>
/// A CSV file streamed as the response: headers and the header row first, then rows as the caller hands them over,
/// each batch flushed to the client, so nothing but the writer's buffer is held whatever the file's size.
/// </summary>
/// <remarks>
/// UTF-8 with a byte order mark, which Excel needs to read it as UTF-8. Every text cell that starts with <c>= + - @</c>,
/// tab or CR is written as <c>'…</c> (quoted), which spreadsheets show as text instead of running as a formula:
/// CsvHelper's <see cref="CsvInjection.Escape"/> does exactly that, with OWASP's characters as its default.
/// </remarks>
internal sealed class CsvResponse<T> : IAsyncDisposable
{
    private static readonly CsvWriterOptions Options = CsvWriterOptions.Default with
    {
        WriteByteOrderMark = true,
        Injection = CsvInjection.Escape,
    };

    private readonly IReadOnlyList<CsvColumn<T>> _columns;
    private readonly CsvWriter _writer;
    private readonly string?[] _cells;
    private readonly CancellationToken _cancellationToken;

    private CsvResponse(HttpResponse response, IReadOnlyList<CsvColumn<T>> columns)
    {
        _columns = columns;
        _cells = new string?[columns.Count];
        _cancellationToken = response.HttpContext.RequestAborted;
        _writer = CsvWriter.Create(response.Body, Options, leaveOpen: true);
        _writer.WriteHeader([.. columns.Select(c => c.Header)]);
    }

    /// <summary>Data rows written so far.</summary>
    public int Rows { get; private set; }

    /// <summary>Starts the response as a download named <paramref name="fileName"/>.</summary>
    public static CsvResponse<T> Start(HttpResponse response, string fileName, IReadOnlyList<CsvColumn<T>> columns)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/csv; charset=utf-8";
        response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
        // Contact lists are personal data: no proxy or browser cache keeps a copy.
        response.Headers.CacheControl = "no-store";
        return new CsvResponse<T>(response, columns);
    }

    /// <summary>Writes the rows and sends them on.</summary>
    public async Task WriteAsync(IEnumerable<T> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        foreach (var row in rows)
        {
            for (var i = 0; i < _columns.Count; i++)
            {
                _cells[i] = _columns[i].Value(row);
            }

            await _writer.WriteRecordAsync(_cells, _cancellationToken);
            Rows++;
        }

        await _writer.FlushAsync(_cancellationToken);
    }

    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}
