using System.Text;
using Crm.Data.Contacts;

namespace Crm.Data.Campaigns;

/// <summary>A text rendered for one contact, with the variables that had no value of their own.</summary>
/// <param name="Text">What the contact would get (before any opt-out footer).</param>
/// <param name="FellBack">Variables without a value that rendered their fallback, in order of first use.</param>
/// <param name="Missing">Variables without a value and without a fallback, which rendered nothing: a preview warns of them.</param>
public sealed record RenderedText(string Text, IReadOnlyList<string> FellBack, IReadOnlyList<string> Missing);

/// <summary>
/// A text with variables: <c>{firstName}</c>, <c>{lastName}</c>, <c>{company}</c>, <c>{city}</c> and custom fields
/// (<c>{roofType}</c>), each with an optional fallback (<c>{firstName|there}</c>); <c>{{</c> and <c>}}</c> are literal
/// braces. Parsed once, rendered per contact; pure, so a preview, an estimate and a send render alike.
/// </summary>
public sealed class MessageTemplate
{
    /// <summary>The variables every contact has; they win over a custom field of the same name.</summary>
    public static readonly IReadOnlyList<string> BuiltIns = ["firstName", "lastName", "company", "city"];

    private readonly IReadOnlyList<Part> _parts;

    private MessageTemplate(string body, IReadOnlyList<Part> parts)
    {
        Body = body;
        _parts = parts;
        Variables = [.. parts.Where(p => p.Variable is not null).Select(p => p.Variable!).Distinct(StringComparer.Ordinal)];
    }

    public string Body { get; }

    /// <summary>The variables the body uses, in order of first use.</summary>
    public IReadOnlyList<string> Variables { get; }

    /// <summary>The body's parts; the first syntax problem is an <see cref="InvalidTemplateException"/> that says where.</summary>
    public static MessageTemplate Parse(string body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var parts = new List<Part>();
        var literal = new StringBuilder();
        for (var i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (c is '{' or '}' && i + 1 < body.Length && body[i + 1] == c)
            {
                literal.Append(c);
                i++;
            }
            else if (c == '}')
            {
                throw new InvalidTemplateException(TemplateProblem.UnmatchedBrace, null, $"Unmatched }} at character {i + 1}: write }}}} for a literal brace.");
            }
            else if (c == '{')
            {
                if (literal.Length > 0)
                {
                    parts.Add(new Part(literal.ToString(), null, null));
                    literal.Clear();
                }

                var close = body.IndexOfAny(['{', '}'], i + 1);
                if (close < 0 || body[close] == '{')
                {
                    var start = body[(i + 1)..(close < 0 ? body.Length : close)];
                    throw new InvalidTemplateException(TemplateProblem.UnclosedBrace, null,
                        $"Unclosed {{ at character {i + 1} ({{{Shorten(start)}): close the variable with }}, or write {{{{ for a literal brace.");
                }

                parts.Add(Variable(body[(i + 1)..close], i));
                i = close;
            }
            else
            {
                literal.Append(c);
            }
        }

        if (literal.Length > 0)
        {
            parts.Add(new Part(literal.ToString(), null, null));
        }

        return new MessageTemplate(body, parts);
    }

    /// <summary>Refuses a variable that is neither built in nor one of <paramref name="customFields"/>, naming it and the known ones.</summary>
    public MessageTemplate Validate(IReadOnlyCollection<string> customFields)
    {
        ArgumentNullException.ThrowIfNull(customFields);
        var known = Known(customFields);
        var unknown = Variables.FirstOrDefault(v => !known.Contains(v, StringComparer.Ordinal));
        return unknown is null
            ? this
            : throw new InvalidTemplateException(TemplateProblem.UnknownVariable, unknown, $"Unknown variable {{{unknown}}}: known are {string.Join(", ", known)}.");
    }

    /// <summary>The built-ins, then the custom fields in ordinal order, without repeats.</summary>
    public static IReadOnlyList<string> Known(IEnumerable<string> customFields) =>
        [.. BuiltIns.Concat(customFields.Order(StringComparer.Ordinal)).Distinct(StringComparer.Ordinal)];

    /// <summary>
    /// The text for <paramref name="contact"/>. Values are trimmed and their inner whitespace runs (a line break from a
    /// spreadsheet cell) become one space. A variable that renders nothing leaves no double space, and no space before
    /// punctuation or at a line's ends: "Hi {firstName}, …" is "Hi, …" for a contact without a first name.
    /// </summary>
    public RenderedText Render(Contact contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        var text = new StringBuilder(Body.Length + 32);
        var gap = new Gap();
        List<string> fellBack = [], missing = [];
        foreach (var part in _parts)
        {
            var piece = part.Text;
            if (part.Variable is { } name)
            {
                piece = Clean(ValueOf(contact, name));
                if (piece.Length == 0)
                {
                    piece = part.Fallback;
                    AddOnce(piece is null ? missing : fellBack, name);
                }
            }

            gap.Append(text, piece ?? string.Empty);
        }

        gap.End(text);
        return new RenderedText(text.ToString(), fellBack, missing);
    }

    private static Part Variable(string inside, int at)
    {
        var bar = inside.IndexOf('|', StringComparison.Ordinal);
        var name = (bar < 0 ? inside : inside[..bar]).Trim();
        if (name.Length == 0)
        {
            throw new InvalidTemplateException(TemplateProblem.EmptyName, null,
                $"Empty variable name at character {at + 1} ({{{inside}}}): name one, such as {{firstName}}, or write {{{{ and }}}} for literal braces.");
        }

        return new Part(null, name, bar < 0 ? null : inside[(bar + 1)..].Trim());
    }

    private static string? ValueOf(Contact contact, string name) => name switch
    {
        "firstName" => contact.FirstName,
        "lastName" => contact.LastName,
        "company" => contact.Company,
        "city" => contact.Address.City,
        _ => contact.CustomFields.GetValueOrDefault(name),
    };

    private static string Clean(string? value) =>
        string.IsNullOrWhiteSpace(value) ? string.Empty : string.Join(' ', value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private static void AddOnce(List<string> names, string name)
    {
        if (!names.Contains(name, StringComparer.Ordinal))
        {
            names.Add(name);
        }
    }

    private static string Shorten(string text) => text.Length <= 20 ? text : text[..20] + "…";

    /// <summary>A literal (<see cref="Text"/>) or a variable with its fallback, null when it has none.</summary>
    private sealed record Part(string? Text, string? Variable, string? Fallback);

    /// <summary>Joins the pieces around one that rendered nothing, so it leaves no stray spaces.</summary>
    private sealed class Gap
    {
        private bool _open;
        private bool _spaced;

        public void Append(StringBuilder text, string piece)
        {
            if (!_open && piece.Length > 0)
            {
                text.Append(piece);
                return;
            }

            if (!_open)
            {
                _open = true;
                _spaced = TrimEnd(text);
                return;
            }

            var rest = piece.AsSpan().TrimStart(" \t");
            _spaced |= rest.Length < piece.Length;
            if (rest.IsEmpty)
            {
                return;
            }

            if (_spaced && text.Length > 0 && text[^1] != '\n' && !",.!?;:)]\r\n".Contains(rest[0], StringComparison.Ordinal))
            {
                text.Append(' ');
            }

            text.Append(rest);
            _open = _spaced = false;
        }

        public void End(StringBuilder text)
        {
            if (_open)
            {
                TrimEnd(text);
            }
        }

        private static bool TrimEnd(StringBuilder text)
        {
            var length = text.Length;
            while (text.Length > 0 && text[^1] is ' ' or '\t')
            {
                text.Length--;
            }

            return text.Length < length;
        }
    }
}

public enum TemplateProblem
{
    UnclosedBrace,
    UnmatchedBrace,
    EmptyName,
    UnknownVariable,
}

/// <summary>A template body that cannot be rendered; the message names the problem and where it is.</summary>
public sealed class InvalidTemplateException(TemplateProblem problem, string? variable, string message) : DomainException(message)
{
    public TemplateProblem Problem { get; } = problem;

    /// <summary>The unknown variable's name, for <see cref="TemplateProblem.UnknownVariable"/>.</summary>
    public string? Variable { get; } = variable;
}
