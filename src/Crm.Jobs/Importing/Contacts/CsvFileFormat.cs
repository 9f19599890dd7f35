using System.Text;
using Crm.Data;
using CsvHelper;

namespace Crm.Jobs.Importing.Contacts;

/// <summary>The file cannot be read as CSV (binary, UTF-16, no usable header …); nothing was stored.</summary>
public sealed class InvalidCsvFileException(string message) : DomainException(message);

/// <summary>How to read an uploaded file: its text encoding and its delimiter, as <see cref="CsvSniffer"/> found them.</summary>
public sealed record CsvFileFormat(string Encoding, string Delimiter)
{
    public const string Utf8 = "utf-8";
    public const string Windows1252 = "windows-1252";

    public Encoding TextEncoding() => Encoding == Windows1252 ? CodePagesEncodingProvider.Instance.GetEncoding(1252)! : new UTF8Encoding(false);

    /// <summary>
    /// RFC 4180 with the file's delimiter and a header row. Malformed quoting is recovered as spreadsheets read it
    /// (a stray quote inside an unquoted field is text); <paramref name="onMalformed"/> hears of each such record.
    /// </summary>
    public CsvReaderOptions Options(Action<CsvMalformedRecord>? onMalformed = null) => CsvReaderOptions.Default with
    {
        Separator = Delimiter[0],
        HasHeader = true,
        // Null reads UTF-8, with or without a BOM; Windows-1252 is transcoded by the reader.
        Encoding = Encoding == Windows1252 ? TextEncoding() : null,
        MalformedData = CsvMalformedDataHandling.Recover,
        OnMalformedRecord = onMalformed,
    };

    public CsvReader Reader(Stream file, Action<CsvMalformedRecord>? onMalformed = null) => CsvReader.Create(file, Options(onMalformed));
}

/// <summary>
/// Looks at an upload as it streams past, without keeping it: whether it is valid UTF-8 throughout (else it is read
/// as Windows-1252, the encoding of Excel's "CSV" on Windows), whether it is binary or UTF-16/32, and its first
/// bytes, from which the delimiter and the header row are found.
/// </summary>
public sealed class CsvSniffer
{
    private const int HeadBytes = 64 * 1024;
    private readonly Decoder _utf8 = new UTF8Encoding(false, throwOnInvalidBytes: true).GetDecoder();
    private readonly char[] _scratch = new char[16 * 1024];
    private readonly byte[] _head = new byte[HeadBytes];
    private int _headLength;
    private bool _validUtf8 = true;

    public long Length { get; private set; }

    public bool Binary { get; private set; }

    public void Append(ReadOnlySpan<byte> bytes)
    {
        var kept = Math.Min(bytes.Length, HeadBytes - _headLength);
        bytes[..kept].CopyTo(_head.AsSpan(_headLength));
        _headLength += kept;

        Length += bytes.Length;
        Binary |= bytes.Contains((byte)0);
        while (_validUtf8 && bytes.Length > 0)
        {
            try
            {
                _utf8.Convert(bytes, _scratch, flush: false, out var used, out _, out _);
                bytes = bytes[used..];
            }
            catch (DecoderFallbackException)
            {
                _validUtf8 = false;
            }
        }
    }

    /// <summary>The file's format, or a clear reason why it is not a CSV this import reads.</summary>
    /// <exception cref="InvalidCsvFileException">Empty, binary or UTF-16/32.</exception>
    public CsvFileFormat Detect()
    {
        if (_validUtf8)
        {
            try
            {
                // A sequence cut off at the very end of the file is not UTF-8 either.
                _utf8.Convert([], _scratch, flush: true, out _, out _, out _);
            }
            catch (DecoderFallbackException)
            {
                _validUtf8 = false;
            }
        }

        var head = _head.AsSpan(0, _headLength);
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]) || head.StartsWith((ReadOnlySpan<byte>)[0, 0, 0xFE, 0xFF]))
        {
            throw new InvalidCsvFileException("The file is UTF-16 or UTF-32 text; save it as CSV UTF-8 and upload it again.");
        }

        if (Binary)
        {
            throw new InvalidCsvFileException("The file holds binary data (NUL bytes): it is not a CSV text file. Spreadsheets must be saved as CSV UTF-8 first.");
        }

        if (Length == 0)
        {
            throw new InvalidCsvFileException("The file is empty.");
        }

        var encoding = _validUtf8 ? CsvFileFormat.Utf8 : CsvFileFormat.Windows1252;
        var text = new CsvFileFormat(encoding, ",").TextEncoding().GetString(head);
        return new CsvFileFormat(encoding, DetectDelimiter(text));
    }

    /// <summary>The header row of the file, read with its format from the first bytes.</summary>
    public IReadOnlyList<string> Header(CsvFileFormat format)
    {
        ArgumentNullException.ThrowIfNull(format);
        using var reader = format.Reader(new MemoryStream(_head, 0, _headLength, writable: false));
        var header = reader.Headers;
        return header.Count > 0 ? header : throw new InvalidCsvFileException("The file has no header row.");
    }

    /// <summary>
    /// The candidate found the same number of times (at least once) on the most of the first lines, the header's
    /// count deciding; a comma when none is, so that a file split by something else fails on its header instead.
    /// </summary>
    internal static string DetectDelimiter(string text)
    {
        var lines = text.TrimStart('\uFEFF').Split('\n').Take(20).Where(l => l.Trim().Length > 0).ToList();
        if (text.Length == HeadBytes && lines.Count > 1)
        {
            lines.RemoveAt(lines.Count - 1); // cut off at the sample's end
        }

        var best = ",";
        var bestScore = 0;
        foreach (var candidate in new[] { ',', ';', '\t' })
        {
            var counts = lines.Select(l => CountOutsideQuotes(l, candidate)).ToList();
            if (counts.Count == 0 || counts[0] == 0)
            {
                continue;
            }

            var score = counts.Count(c => c == counts[0]);
            if (score > bestScore)
            {
                (best, bestScore) = (candidate.ToString(), score);
            }
        }

        return best;
    }

    private static int CountOutsideQuotes(string line, char delimiter)
    {
        var count = 0;
        var quoted = false;
        foreach (var c in line)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == delimiter && !quoted)
            {
                count++;
            }
        }

        return count;
    }
}
