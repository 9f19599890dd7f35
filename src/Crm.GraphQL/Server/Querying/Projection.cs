using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using Crm.GraphQL.Server.Loading;
using GraphQL;
using GraphQL.Builders;
using GraphQL.DataLoader;
using GraphQL.Types;
using GraphQLParser.AST;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;

namespace Crm.GraphQL.Server.Querying;

/// <summary>
/// Reading only the columns a selection needs, as Hot Chocolate's <c>UseProjection</c> does: a page's rows become
/// <c>new T { A = row.A, … }</c> of the members its selected fields read, and a selected to-one declared with
/// <see cref="ReadsJoined{TSource, TReturn}"/> is joined into the same query with its own selection projected.
/// </summary>
/// <remarks>
/// An object type opts in with <see cref="Projected"/>. Its fields built from a member of the source
/// (<c>Field(x => x.Phone)</c>) read that member; any other field says what it reads with
/// <see cref="Reads{TSource, TReturn}"/>. A selection with a field that says nothing, or that reads what is not a
/// column of its own (an owned type, a navigation not declared as joined), reads whole rows: declaring nothing costs
/// speed, never correctness. A field of a deeper member (<c>Field("city", x => x.Address.City)</c>) must say what it
/// reads, as graphql-dotnet names only the last member.
/// </remarks>
public static class Projection
{
    private const string ReadsKey = "server:projection:reads";
    private const string JoinKey = "server:projection:join";
    private const string ProjectedKey = "server:projection:type";

    // graphql-dotnet's own key (internal to it) for the member a Field(x => x.Member) reads.
    private const string ExpressionMemberKey = "ORIGINAL_EXPRESSION_PROPERTY_NAME";

    // The same selection builds the same tree each time; sharing one instance also spares EF Core's query cache a deep
    // comparison. Keyed by the rows' type, the members and the joins' selections, all from the schema: bounded.
    private static readonly ConcurrentDictionary<(Type Row, string Shape), LambdaExpression> Projections = new();

    /// <summary>Pages of this type's rows read only what their selection needs; each field is declared as below.</summary>
    public static void Projected<TSource>(this ObjectGraphType<TSource> type)
    {
        ArgumentNullException.ThrowIfNull(type);
        type.Metadata[ProjectedKey] = true;
    }

    /// <summary>The members of the source object the field's resolver reads; none for a field that reads nothing of it.</summary>
    public static FieldBuilder<TSource, TReturn> Reads<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field, params Expression<Func<TSource, object?>>[] members)
    {
        ArgumentNullException.ThrowIfNull(field);
        field.FieldType.Metadata[ReadsKey] = members.Select(MemberName).ToArray();
        return field;
    }

    /// <summary>
    /// A to-one the field's resolver takes from the source object when it is there (else it loads it): a projected page
    /// reads it in its own query, with the columns of the field's selection, and an unprojected one includes it.
    /// </summary>
    public static FieldBuilder<TSource, TReturn> ReadsJoined<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field, Expression<Func<TSource, object?>> navigation)
    {
        ArgumentNullException.ThrowIfNull(field);
        field.FieldType.Metadata[JoinKey] = MemberName(navigation);
        return field;
    }

    /// <summary>
    /// The projection of the connection's nodes (under <c>nodes</c> or <c>edges { node }</c>) onto the rows of
    /// <paramref name="source"/>, reading <paramref name="alsoRead"/> too; null when the selection needs whole rows.
    /// </summary>
    internal static Expression<Func<T, T>>? OfNodes<T>(IResolveFieldContext context, IQueryable<T> source, params string[] alsoRead)
    {
        ArgumentNullException.ThrowIfNull(context);
        var entity = EntityType(source);
        var nodeType = NodeType(context.FieldDefinition.ResolvedType);
        if (entity is null || nodeType is null || !nodeType.GetMetadata(ProjectedKey, false))
        {
            return null;
        }

        return (Expression<Func<T, T>>?)Build(context, entity, nodeType, Selections.Nodes(context), alsoRead);
    }

    /// <summary>
    /// The row of <paramref name="source"/> whose <paramref name="key"/> (<c>x => x.Id</c>) is <paramref name="value"/>,
    /// reading only what the field's selection needs, and <paramref name="alsoRead"/> for the resolver itself: one query
    /// for the same selection's keys under every parent.
    /// </summary>
    public static IDataLoaderResult<T?> LoadProjected<T, TKey>(
        this IResolveFieldContext context, IQueryable<T> source, Expression<Func<T, TKey>> key, TKey value, params Expression<Func<T, object?>>[] alsoRead)
        where T : class
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(key);
        var loader = context.RequestServices!.GetRequiredService<SelectionBatches>().GetOrAdd(context.FieldAst, context.FieldDefinition, () =>
        {
            var member = key.Body is MemberExpression { Expression: ParameterExpression } m
                ? m.Member.Name
                : throw new ArgumentException($"Expected a member of the row (x => x.Id), got {key}.", nameof(key));
            // A leaf field (one that maps the row to a value) has no selection of its own: it reads only what it asks for.
            var named = context.FieldDefinition.ResolvedType?.GetNamedType();
            var projection = EntityType(source) is { } entity && (named is ScalarGraphType || (named is IComplexGraphType type && type.GetMetadata(ProjectedKey, false)))
                ? (Expression<Func<T, T>>?)Build(context, entity, named as IComplexGraphType, Selections.Of(context, context.FieldAst.SelectionSet), [member, .. alsoRead.Select(MemberName)])
                : null;
            var keyOf = Reader(key);
            return new BatchLoader<TKey, T>(async (keys, cancellationToken) =>
            {
                var contains = Expression.Call(typeof(Enumerable), nameof(Enumerable.Contains), [typeof(TKey)], FilterOperations.Parameter(keys.ToList(), typeof(List<TKey>)), key.Body);
                var rows = source.Where(Expression.Lambda<Func<T, bool>>(contains, key.Parameters));
                var read = projection is null ? await rows.ToListAsync(cancellationToken) : await rows.Select(projection).ToListAsync(cancellationToken);
                return read.ToDictionary(keyOf);
            });
        });
        return loader.Load(value);
    }

    /// <summary>
    /// How a connection's page reads its rows (<paramref name="rows"/>, of <paramref name="source"/>): projected by
    /// <see cref="OfNodes"/>, or whole with each selected joined to-one included, so that its field finds it on the row.
    /// </summary>
    internal static (IQueryable<T> Rows, Expression<Func<T, T>>? Projection) ForNodes<T>(IResolveFieldContext context, IQueryable<T> source, IQueryable<T> rows, params string[] alsoRead)
        where T : class =>
        OfNodes(context, source, alsoRead) is { } projection ? (rows, projection) : (IncludeJoined(context, rows), null);

    /// <summary><paramref name="source"/> with each selected joined to-one included: an unprojected page's rows.</summary>
    internal static IQueryable<T> IncludeJoined<T>(IResolveFieldContext context, IQueryable<T> source)
        where T : class
    {
        var nodeType = NodeType(context.FieldDefinition.ResolvedType);
        if (nodeType is null)
        {
            return source;
        }

        foreach (var field in Selections.Nodes(context))
        {
            if (nodeType.GetField(field.Name.StringValue)?.GetMetadata<string>(JoinKey) is { } navigation)
            {
                source = source.Include(navigation);
            }
        }

        return source;
    }

    private static LambdaExpression? Build(IResolveFieldContext context, IReadOnlyEntityType entity, IComplexGraphType? graphType, IEnumerable<GraphQLField> selection, IEnumerable<string> alsoRead) =>
        Plan.Of(context, entity, graphType, selection, alsoRead) is { } plan
            ? Projections.GetOrAdd((entity.ClrType, plan.Shape), _ => plan.Lambda())
            : null;

    /// <summary>The members a selection reads, and the selections of its joined to-ones (null: the whole row).</summary>
    private sealed record Plan(IReadOnlyEntityType Entity, SortedSet<string> Members, SortedDictionary<string, Plan?> Joins)
    {
        public string Shape => string.Join(',', Members) + string.Concat(Joins.Select(j => $";{j.Key}({j.Value?.Shape ?? "*"})"));

        public static Plan? Of(IResolveFieldContext context, IReadOnlyEntityType entity, IComplexGraphType? graphType, IEnumerable<GraphQLField> selection, IEnumerable<string> alsoRead)
        {
            var members = new SortedSet<string>(alsoRead, StringComparer.Ordinal);
            var joined = new Dictionary<string, (FieldType Definition, List<GraphQLField> Fields)>(StringComparer.Ordinal);
            foreach (var field in selection)
            {
                var name = field.Name.StringValue;

                // __typename reads nothing, and a field of another type (from a fragment whose condition this type does
                // not meet) reads nothing here.
                if (name.StartsWith("__", StringComparison.Ordinal) || graphType?.GetField(name) is not { } definition)
                {
                    continue;
                }

                if (definition.GetMetadata<string>(JoinKey) is { } navigation)
                {
                    if (!joined.TryGetValue(navigation, out var join))
                    {
                        joined[navigation] = join = (definition, []);
                    }

                    join.Fields.AddRange(Selections.Of(context, field.SelectionSet));
                }
                else if (definition.GetMetadata<string[]>(ReadsKey) is { } reads)
                {
                    members.UnionWith(reads);
                }
                else if (definition.GetMetadata<string>(ExpressionMemberKey) is { } property)
                {
                    members.Add(property);
                }
                else
                {
                    return null;
                }
            }

            if (members.Any(m => entity.FindProperty(m) is null))
            {
                return null;
            }

            var joins = new SortedDictionary<string, Plan?>(StringComparer.Ordinal);
            foreach (var (name, (definition, fields)) in joined)
            {
                var target = (entity.FindNavigation(name)
                    ?? throw new InvalidOperationException($"{entity.ClrType.Name}.{name} is declared as a joined to-one but is not a navigation.")).TargetEntityType;
                joins[name] = definition.ResolvedType?.GetNamedType() is IComplexGraphType type && type.GetMetadata(ProjectedKey, false)
                    ? Of(context, target, type, fields, target.FindPrimaryKey()!.Properties.Select(p => p.Name))
                    : null;
            }

            return new(entity, members, joins);
        }

        public LambdaExpression Lambda()
        {
            var row = Expression.Parameter(Entity.ClrType, "row");
            return Expression.Lambda(Init(row), row);
        }

        private MemberInitExpression Init(Expression row)
        {
            var bindings = Members.Select(m => (MemberBinding)Expression.Bind(Property(Entity.ClrType, m), Expression.Property(row, m))).ToList();
            foreach (var (name, plan) in Joins)
            {
                var value = Expression.Property(row, name);
                var projected = plan is null
                    ? (Expression)value
                    : Expression.Condition(Expression.Equal(value, Expression.Constant(null, value.Type)), Expression.Constant(null, value.Type), plan.Init(value));
                bindings.Add(Expression.Bind(Property(Entity.ClrType, name), projected));
            }

            return Expression.MemberInit(Expression.New(Entity.ClrType), bindings);
        }
    }

    /// <summary>
    /// <paramref name="key"/> compiled, once per member for <c>x => x.Member</c>: callers write keys as lambdas, a new
    /// expression each time, and compiling one for every batch cost more CPU than materializing the page.
    /// </summary>
    internal static Func<T, TKey> Reader<T, TKey>(Expression<Func<T, TKey>> key) =>
        key.Body is MemberExpression { Expression: ParameterExpression, Member: var member } ? Readers<T, TKey>.ByMember.GetOrAdd(member, _ => key.Compile()) : key.Compile();

    private static PropertyInfo Property(Type type, string name) =>
        type.GetProperty(name) is { CanWrite: true } property
            ? property
            : throw new InvalidOperationException($"{type.Name}.{name} cannot be set, so it cannot be projected.");

    private static string MemberName<TSource>(Expression<Func<TSource, object?>> member) => member.Body switch
    {
        MemberExpression { Expression: ParameterExpression } m => m.Member.Name,
        UnaryExpression { NodeType: ExpressionType.Convert, Operand: MemberExpression { Expression: ParameterExpression } m } => m.Member.Name,
        _ => throw new ArgumentException($"Expected a member of the source (x => x.Member), got {member}.", nameof(member)),
    };

    /// <summary>The entity type at the root of an EF Core query, if it is one.</summary>
    private static IReadOnlyEntityType? EntityType<T>(IQueryable<T> source)
    {
        var expression = source.Expression;
        while (expression is MethodCallExpression call)
        {
            expression = call.Arguments[0];
        }

        return (expression as EntityQueryRootExpression)?.EntityType;
    }

    /// <summary>The node type of a connection type (the item type of its <c>nodes</c>).</summary>
    private static IComplexGraphType? NodeType(IGraphType? connection) =>
        connection?.GetNamedType() is IComplexGraphType type && type.GetField("nodes") is { } nodes ? nodes.ResolvedType?.GetNamedType() as IComplexGraphType : null;

    private static class Readers<T, TKey>
    {
        public static readonly ConcurrentDictionary<MemberInfo, Func<T, TKey>> ByMember = new();
    }
}
