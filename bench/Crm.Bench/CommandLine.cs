using System.Globalization;

namespace Crm.Bench;

/// <summary><c>--name value</c> pairs; every command reads the ones it knows and rejects the rest.</summary>
internal sealed class CommandLine
{
    public const string Usage = """
        Crm.Bench: benchmarks of the CRM at scale.

          generate --db <connection string> [--contacts 100000] [--activities 1000000] [--seed 20261126]
              Migrates the database and fills it with a realistic dataset by binary COPY.
          run --db <connection string> --url http://127.0.0.1:5080 --email <admin> --password <password>
              [--label 100k] [--out bench/results/query-100k-<date>.md] [--json <summary.json>]
              [--rounds 20] [--requests 25] [--warmup 50] [--only <scenario name part>] [--commit <sha>]
              Measures each GraphQL scenario side by side with its SQL floor against a running server.
          growth --small <summary.json> --large <summary.json> --append <results.md>
              Appends the inbox latency growth between two runs to a results file.
        """;

    private readonly Dictionary<string, string> _values;
    private readonly HashSet<string> _read = [];

    private CommandLine(Dictionary<string, string> values) => _values = values;

    public static CommandLine Parse(IEnumerable<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var name = e.Current;
            if (!name.StartsWith("--", StringComparison.Ordinal) || name.Length < 3)
            {
                throw new UsageException($"unexpected argument '{name}'");
            }

            if (!e.MoveNext())
            {
                throw new UsageException($"{name} needs a value");
            }

            values[name[2..]] = e.Current;
        }

        return new CommandLine(values);
    }

    public string? Get(string name)
    {
        _read.Add(name);
        return _values.GetValueOrDefault(name);
    }

    public string Require(string name) => Get(name) ?? throw new UsageException($"--{name} is required");

    public int GetInt(string name, int fallback)
    {
        var text = Get(name);
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new UsageException($"--{name} must be a non-negative integer, not '{text}'");
    }

    /// <summary>Fails on options the command did not read: a typo must not silently fall back to a default.</summary>
    public void EnsureAllRead()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException($"unknown option(s): {string.Join(", ", unknown.Select(k => "--" + k))}");
        }
    }
}

internal sealed class UsageException(string message) : Exception(message);
