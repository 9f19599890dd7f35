using System.Collections;
using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Crm.GraphQL.Server.Querying;

/// <summary>The operations of Hot Chocolate's operation filter inputs, as expressions EF Core can translate.</summary>
internal static class FilterOperations
{
    private static readonly MethodInfo ToLower = typeof(string).GetMethod(nameof(string.ToLower), Type.EmptyTypes)!;
    private static readonly MethodInfo Contains = typeof(string).GetMethod(nameof(string.Contains), [typeof(string)])!;
    private static readonly MethodInfo StartsWith = typeof(string).GetMethod(nameof(string.StartsWith), [typeof(string)])!;
    private static readonly MethodInfo EndsWith = typeof(string).GetMethod(nameof(string.EndsWith), [typeof(string)])!;

    /// <summary>
    /// eq/neq/in/nin compare exactly; contains/startsWith/endsWith ignore case. EF Core turns these string methods into
    /// LIKE with the user's % and _ escaped (or strpos/instr), so input is never a pattern.
    /// </summary>
    public static Expression String(Expression member, IDictionary<string, object?> operations)
    {
        Expression result = Expression.Constant(true);
        foreach (var (op, value) in operations)
        {
            var term = op switch
            {
                "eq" => Expression.Equal(member, Parameter(value, typeof(string))),
                "neq" => Expression.NotEqual(member, Parameter(value, typeof(string))),
                "in" => In(member, value, v => v),
                "nin" => Expression.Not(In(member, value, v => v)),
                "contains" => Match(member, Contains, value),
                "ncontains" => Expression.Not(Match(member, Contains, value)),
                "startsWith" => Match(member, StartsWith, value),
                "nstartsWith" => Expression.Not(Match(member, StartsWith, value)),
                "endsWith" => Match(member, EndsWith, value),
                "nendsWith" => Expression.Not(Match(member, EndsWith, value)),
                _ => Comparable(member, new Dictionary<string, object?> { [op] = value }, v => v),
            };
            result = And(result, term);
        }

        return result;
    }

    /// <summary>eq neq in nin gt ngt gte ngte lt nlt lte nlte, for numbers, instants, ids, enums and booleans.</summary>
    public static Expression Comparable(Expression member, IDictionary<string, object?> operations, Func<object?, object?> convert)
    {
        Expression result = Expression.Constant(true);
        foreach (var (op, raw) in operations)
        {
            var value = raw is null || raw is IEnumerable and not string ? raw : convert(raw);
            Expression term = op switch
            {
                "eq" => Expression.Equal(member, Parameter(value, member.Type)),
                "neq" => Expression.NotEqual(member, Parameter(value, member.Type)),
                "in" => In(member, raw, convert),
                "nin" => Expression.Not(In(member, raw, convert)),
                "gt" => Compare(member, value, ExpressionType.GreaterThan),
                "ngt" => Expression.Not(Compare(member, value, ExpressionType.GreaterThan)),
                "gte" => Compare(member, value, ExpressionType.GreaterThanOrEqual),
                "ngte" => Expression.Not(Compare(member, value, ExpressionType.GreaterThanOrEqual)),
                "lt" => Compare(member, value, ExpressionType.LessThan),
                "nlt" => Expression.Not(Compare(member, value, ExpressionType.LessThan)),
                "lte" => Compare(member, value, ExpressionType.LessThanOrEqual),
                "nlte" => Expression.Not(Compare(member, value, ExpressionType.LessThanOrEqual)),
                _ => throw new InvalidOperationException($"Unknown filter operation '{op}'."),
            };
            result = And(result, term);
        }

        return result;
    }

    /// <summary>
    /// Lists of text such as tags. The common "has this tag" (<c>some: { eq: x }</c>) is written as containment,
    /// which Npgsql turns into <c>"Tags" @&gt; ARRAY[x]</c> for the GIN index; everything else goes through <see cref="List"/>.
    /// </summary>
    public static Expression StringList(Expression member, IDictionary<string, object?> operations)
    {
        if (operations.Count == 1 && operations.TryGetValue("some", out var some) && some is IDictionary<string, object?> { Count: 1 } item
            && item.TryGetValue("eq", out var value) && value is string tag)
        {
            var wanted = Parameter(new List<string> { tag }, typeof(List<string>));
            var candidate = Expression.Parameter(typeof(string), "tag");
            var contains = Expression.Call(typeof(Enumerable), nameof(Enumerable.Contains), [typeof(string)], member, candidate);
            return Expression.Call(typeof(Enumerable), nameof(Enumerable.All), [typeof(string)], wanted, Expression.Lambda(contains, candidate));
        }

        return List(member, operations, String);
    }

    /// <summary>some / all / none with an item filter; any: true when the collection has items.</summary>
    public static Expression List(Expression collection, IDictionary<string, object?> operations, Func<Expression, IDictionary<string, object?>, Expression> item)
    {
        var itemType = collection.Type.IsArray
            ? collection.Type.GetElementType()!
            : collection.Type.GetInterfaces().Append(collection.Type)
                .First(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>)).GetGenericArguments()[0];
        Expression result = Expression.Constant(true);
        foreach (var (op, value) in operations)
        {
            Expression term;
            if (op == "any")
            {
                var hasItems = Expression.Call(typeof(Enumerable), nameof(Enumerable.Any), [itemType], collection);
                term = value is false ? Expression.Not(hasItems) : hasItems;
            }
            else
            {
                var parameter = Expression.Parameter(itemType, "item");
                var predicate = Expression.Lambda(item(parameter, (IDictionary<string, object?>)value!), parameter);
                term = op switch
                {
                    "some" => Expression.Call(typeof(Enumerable), nameof(Enumerable.Any), [itemType], collection, predicate),
                    "all" => Expression.Call(typeof(Enumerable), nameof(Enumerable.All), [itemType], collection, predicate),
                    "none" => Expression.Not(Expression.Call(typeof(Enumerable), nameof(Enumerable.Any), [itemType], collection, predicate)),
                    _ => throw new InvalidOperationException($"Unknown list operation '{op}'."),
                };
            }

            result = And(result, term);
        }

        return result;
    }

    /// <summary>Greater/less than for any key type, including the ones C# gives no operator (string, Guid).</summary>
    public static BinaryExpression Compare(Expression member, object? value, ExpressionType op)
    {
        var right = Parameter(value, member.Type);
        if (member.Type == typeof(string))
        {
            var compare = typeof(string).GetMethod(nameof(string.Compare), [typeof(string), typeof(string)])!;
            return Expression.MakeBinary(op, Expression.Call(compare, member, right), Expression.Constant(0));
        }

        var underlying = Nullable.GetUnderlyingType(member.Type) ?? member.Type;
        if (underlying == typeof(Guid))
        {
            // No < operator in C#; EF Core translates CompareTo(...) against 0 into a plain SQL comparison.
            var left = member.Type == underlying ? member : Expression.Convert(member, underlying);
            var compareTo = underlying.GetMethod(nameof(IComparable.CompareTo), [underlying])!;
            return Expression.MakeBinary(op, Expression.Call(left, compareTo, Expression.Convert(right, underlying)), Expression.Constant(0));
        }

        return Expression.MakeBinary(op, member, right);
    }

    /// <summary>
    /// A captured value, so EF Core sends it as a SQL parameter rather than inlining a literal. Typed: EF Core reads a
    /// field of a constant directly, where a conversion around it would cost a compiled lambda per query.
    /// </summary>
    public static MemberExpression Parameter(object? value, Type type) =>
        Expression.Field(Expression.Constant(Activator.CreateInstance(typeof(StrongBox<>).MakeGenericType(type), value)), nameof(StrongBox<object?>.Value));

    private static MethodCallExpression In(Expression member, object? values, Func<object?, object?> convert)
    {
        var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(member.Type))!;
        foreach (var value in values as IEnumerable ?? Array.Empty<object>())
        {
            list.Add(value is null ? null : convert(value));
        }

        return Expression.Call(typeof(Enumerable), nameof(Enumerable.Contains), [member.Type], Parameter(list, list.GetType()), member);
    }

    private static Expression Match(Expression member, MethodInfo method, object? value)
    {
        if (value is null)
        {
            return Expression.Constant(false);
        }

        var needle = Parameter(((string)value).ToLowerInvariant(), typeof(string));
        var nonNull = Expression.NotEqual(member, Expression.Constant(null, typeof(string)));
        return Expression.AndAlso(nonNull, Expression.Call(Expression.Call(member, ToLower), method, needle));
    }

    private static Expression And(Expression left, Expression right) =>
        left is ConstantExpression { Value: true } ? right : Expression.AndAlso(left, right);
}
