using PhoneNumbers;

namespace Crm.Data.Phones;

/// <summary>
/// The one place a phone number enters the system: every number is stored as E.164.
/// </summary>
public static class PhoneNumberNormalizer
{
    private const string DefaultRegion = "US";
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    /// <summary>Normalizes to E.164, or returns false when the input cannot be a phone number.</summary>
    /// <remarks>
    /// "Possible" rather than "valid": OpenPhone delivers fictional and newly assigned ranges that
    /// libphonenumber's metadata does not yet list, and refusing those would lose real messages.
    /// </remarks>
    public static bool TryNormalize(string? input, out string e164)
    {
        e164 = string.Empty;
        if (string.IsNullOrWhiteSpace(input) || input.Length > 32)
        {
            return false;
        }

        try
        {
            var parsed = Util.Parse(input, DefaultRegion);
            if (Util.IsPossibleNumberWithReason(parsed) != PhoneNumberUtil.ValidationResult.IS_POSSIBLE)
            {
                return false;
            }

            e164 = Util.Format(parsed, PhoneNumberFormat.E164);
            return true;
        }
        catch (NumberParseException)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether a stored number can take a text: not a known landline, pager or premium line. Most US numbers are
    /// "fixed line or mobile" to libphonenumber and pass; a carrier lookup would tell them apart.
    /// </summary>
    public static bool CanReceiveTexts(string? e164)
    {
        if (string.IsNullOrEmpty(e164))
        {
            return false;
        }

        try
        {
            return Util.GetNumberType(Util.Parse(e164, DefaultRegion)) is not (PhoneNumberType.FIXED_LINE or PhoneNumberType.PAGER
                or PhoneNumberType.PREMIUM_RATE or PhoneNumberType.SHARED_COST or PhoneNumberType.UAN or PhoneNumberType.VOICEMAIL);
        }
        catch (NumberParseException)
        {
            return false;
        }
    }

    /// <summary>Human formatting for display names: national format at home, international abroad.</summary>
    public static string Format(string e164)
    {
        try
        {
            var parsed = Util.Parse(e164, DefaultRegion);
            var national = Util.GetRegionCodeForNumber(parsed) == DefaultRegion;
            return Util.Format(parsed, national ? PhoneNumberFormat.NATIONAL : PhoneNumberFormat.INTERNATIONAL);
        }
        catch (NumberParseException)
        {
            return e164;
        }
    }
}
