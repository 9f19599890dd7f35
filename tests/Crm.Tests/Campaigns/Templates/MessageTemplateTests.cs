using Crm.Data.Campaigns;
using Crm.Data.Contacts;

namespace Crm.Tests.Campaigns.Templates;

/// <summary>The parser's edge cases and the renderer's whitespace rules, without a database.</summary>
public sealed class MessageTemplateTests
{
    private static readonly Contact Dana = new()
    {
        FirstName = "  Dana ",
        LastName = "Whitfield",
        Company = "Whitfield\n  Homes",
        Address = new Address { City = "Quincy" },
        CustomFields = new() { ["roofType"] = "slate", ["firstName"] = "Not Dana" },
    };

    /// <summary>No values at all, except a custom field of only spaces.</summary>
    private static readonly Contact Sparse = new() { CustomFields = new() { ["blank"] = "   " } };

    [Theory]
    [InlineData("Hi {firstName}, {lastName} of {company} in {city}: {roofType}.", "Hi Dana, Whitfield of Whitfield Homes in Quincy: slate.")]
    [InlineData("{{firstName}} is literal", "{firstName} is literal")]
    [InlineData("{{{firstName}}}", "{Dana}")]
    [InlineData("a }} b {{ c", "a } b { c")]
    [InlineData("Hi { firstName | there }!", "Hi Dana!")]
    [InlineData("No variables at all.", "No variables at all.")]
    [InlineData("", "")]
    public void ValuesAreTrimmedAndBuiltInsWinOverCustomFieldsOfTheSameName(string body, string expected)
    {
        var rendered = MessageTemplate.Parse(body).Render(Dana);

        Assert.Equal(expected, rendered.Text);
        Assert.Empty(rendered.Missing);
        Assert.Empty(rendered.FellBack);
    }

    [Theory]
    [InlineData("Hi {firstName|there}, about {company|your home}.", "Hi there, about your home.", "firstName,company", "")]
    [InlineData("Hi {firstName}, your quote", "Hi, your quote", "", "firstName")]
    [InlineData("Hello {firstName} {lastName} there", "Hello there", "", "firstName,lastName")]
    [InlineData("Hello {firstName}there", "Hello there", "", "firstName")]
    [InlineData("{firstName} hello", "hello", "", "firstName")]
    [InlineData("Hi {firstName}\nBye {firstName}", "Hi\nBye", "", "firstName")]
    [InlineData("Dear {firstName|} {lastName|friend}!", "Dear friend!", "firstName,lastName", "")]
    [InlineData("Roof: {blank}.", "Roof:.", "", "blank")]
    [InlineData("{firstName}{lastName}", "", "", "firstName,lastName")]
    public void AMissingValueRendersItsFallbackOrNothingWithoutAStraySpace(string body, string expected, string fellBack, string missing)
    {
        var rendered = MessageTemplate.Parse(body).Render(Sparse);

        Assert.Equal(expected, rendered.Text);
        Assert.Equal(fellBack, string.Join(",", rendered.FellBack));
        Assert.Equal(missing, string.Join(",", rendered.Missing));
    }

    [Theory]
    [InlineData("Hi {firstName", TemplateProblem.UnclosedBrace, "Unclosed { at character 4 ({firstName): close the variable with }, or write {{ for a literal brace.")]
    [InlineData("Hi {first {lastName}", TemplateProblem.UnclosedBrace, "Unclosed { at character 4 ({first ): close the variable with }, or write {{ for a literal brace.")]
    [InlineData("Hi {", TemplateProblem.UnclosedBrace, "Unclosed { at character 4 ({): close the variable with }, or write {{ for a literal brace.")]
    [InlineData("Hi }", TemplateProblem.UnmatchedBrace, "Unmatched } at character 4: write }} for a literal brace.")]
    [InlineData("{firstName}}", TemplateProblem.UnmatchedBrace, "Unmatched } at character 12: write }} for a literal brace.")]
    [InlineData("Hi {}", TemplateProblem.EmptyName, "Empty variable name at character 4 ({}): name one, such as {firstName}, or write {{ and }} for literal braces.")]
    [InlineData("Hi { |there}", TemplateProblem.EmptyName, "Empty variable name at character 4 ({ |there}): name one, such as {firstName}, or write {{ and }} for literal braces.")]
    public void ASyntaxErrorNamesTheProblemAndWhereItIs(string body, TemplateProblem problem, string message)
    {
        var error = Assert.Throws<InvalidTemplateException>(() => MessageTemplate.Parse(body));

        Assert.Equal(problem, error.Problem);
        Assert.Equal(message, error.Message);
        Assert.Null(error.Variable);
    }

    [Fact]
    public void AnUnknownVariableIsNamedWithTheKnownOnes()
    {
        var template = MessageTemplate.Parse("Hi {frstName}, about your {roofType} roof");

        var error = Assert.Throws<InvalidTemplateException>(() => template.Validate(["roofType", "city"]));

        Assert.Equal(TemplateProblem.UnknownVariable, error.Problem);
        Assert.Equal("frstName", error.Variable);
        Assert.Equal("Unknown variable {frstName}: known are firstName, lastName, company, city, roofType.", error.Message);
        var valid = MessageTemplate.Parse("{firstName} {roofType}");
        Assert.Same(valid, valid.Validate(["roofType"]));
    }

    [Fact]
    public void VariablesAreListedOnceInOrderOfFirstUse()
    {
        var template = MessageTemplate.Parse("{city} {firstName|x} {city|y} {roofType}");

        Assert.Equal(["city", "firstName", "roofType"], template.Variables);
    }

    [Theory]
    [InlineData("Hi Dana", true, "Reply STOP to opt out", "Hi Dana\nReply STOP to opt out")]
    [InlineData("Hi Dana  \n", true, " Reply STOP to opt out ", "Hi Dana\nReply STOP to opt out")]
    [InlineData("Hi Dana", false, "Reply STOP to opt out", "Hi Dana")]
    [InlineData("Hi Dana. reply stop to opt out", true, "Reply STOP to opt out", "Hi Dana. reply stop to opt out")]
    [InlineData("Hi Dana", true, "", "Hi Dana")]
    public void TheOptOutFooterGoesOnItsOwnLineOfAFirstMarketingTextOnly(string body, bool first, string footer, string expected)
    {
        Assert.Equal(expected, OptOutFooter.Append(body, footer, first));
        Assert.Equal(expected != body, OptOutFooter.Applies(body, footer, first));
    }
}
