using System.Reflection;
using System.Text.RegularExpressions;
using Crm.GraphQL.Server;
using Crm.Tests.Infrastructure;

namespace Crm.Tests.Server;

/// <summary>
/// The house rule (architecture.md): features depend on the GraphQL server kit in src/Crm.GraphQL/Server, never the
/// other way round. What the kit needs from the host it asks for through abstractions of its own.
/// </summary>
public sealed partial class KitBorderTests
{
    private const string Kit = "Crm.GraphQL.Server";

    [Fact]
    public void KitSourcesNameNoHostNamespace()
    {
        var folder = Path.Combine(Repository.Root(), "src", "Crm.GraphQL", "Server");
        var files = Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(files);

        var violations = new List<string>();
        foreach (var file in files)
        {
            var relative = Path.GetRelativePath(folder, file);
            var expected = string.Join('.', [Kit, .. Path.GetDirectoryName(relative)!.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries)]);
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                // using Crm.X; using static Crm.X; using A = Crm.X; global::Crm.X and every other qualified Crm.X alike.
                violations.AddRange(HostReference().Matches(lines[i]).Select(m => $"{relative}:{i + 1} names {m.Value}"));
                if (Namespace().Match(lines[i]) is { Success: true } declared && declared.Groups[1].Value != expected)
                {
                    violations.Add($"{relative}:{i + 1} declares namespace {declared.Groups[1].Value}, not {expected}");
                }
            }
        }

        Assert.True(violations.Count == 0, "The kit must not reach into the host; define an abstraction in Server/ instead:\n" + string.Join('\n', violations));
    }

    /// <summary>
    /// Inside namespace Crm.GraphQL.Server.X a bare <c>Auth.AccessRules</c> resolves through the parent namespace,
    /// which no text scan sees; the compiled signatures (fields, hoisted locals and closures included) do.
    /// </summary>
    [Fact]
    public void KitTypesUseNoHostType()
    {
        var violations = typeof(ServerKit).Assembly.GetTypes()
            .Where(t => IsKit(t.Namespace))
            .SelectMany(t => Signature(t).SelectMany(Expand).Where(u => u.Namespace?.StartsWith("Crm.", StringComparison.Ordinal) == true && !IsKit(u.Namespace)).Select(u => $"{t.FullName} uses {u.FullName}"))
            .Distinct()
            .ToList();

        Assert.True(violations.Count == 0, "The kit must not reach into the host:\n" + string.Join('\n', violations));
    }

    private static bool IsKit(string? ns) => ns == Kit || ns?.StartsWith(Kit + ".", StringComparison.Ordinal) == true;

    private static IEnumerable<Type?> Signature(Type type)
    {
        const BindingFlags declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        return
        [
            type.BaseType,
            .. type.GetInterfaces(),
            .. type.GetFields(declared).Select(f => f.FieldType),
            .. type.GetProperties(declared).Select(p => p.PropertyType),
            .. type.GetMethods(declared).SelectMany(m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType)),
            .. type.GetConstructors(declared).SelectMany(c => c.GetParameters().Select(p => p.ParameterType)),
        ];
    }

    private static IEnumerable<Type> Expand(Type? type)
    {
        if (type is null || type.IsGenericParameter)
        {
            return [];
        }

        if (type.HasElementType)
        {
            return Expand(type.GetElementType());
        }

        return type.IsGenericType ? type.GetGenericArguments().SelectMany(Expand).Prepend(type) : [type];
    }

    [GeneratedRegex(@"\bCrm\.(?!GraphQL\.Server\b)[A-Za-z_][\w.]*")]
    private static partial Regex HostReference();

    [GeneratedRegex(@"^\s*namespace\s+([\w.]+)")]
    private static partial Regex Namespace();
}
