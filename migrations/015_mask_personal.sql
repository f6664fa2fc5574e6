-- mask_personal(text) is internal/privacy.Mask in SQL, for text the
-- database writes straight into public answers (the names in vector tiles):
-- phone numbers, 18-digit resident ID numbers, e-mail addresses and licence
-- plates masked, enough kept to tell them apart. A Go test
-- (internal/postgres TestMaskPersonalMatchesGo) holds the two to the same
-- answers. Variable-length masks are two patterns each (POSIX regular
-- expressions have no replacement function): the longer first.
CREATE FUNCTION mask_personal(s text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT AS $$
DECLARE
    prev text;
BEGIN
    -- The cheap first look: fewer than seven digits, no @ and no capital
    -- letter hold nothing to mask.
    IF s !~ '[@A-Z]' AND length(s) - length(regexp_replace(s, '[0-9]', '', 'g')) < 7 THEN
        RETURN s;
    END IF;
    FOR i IN 1..4 LOOP
        prev := s;
        s := regexp_replace(s, '(^|[^0-9])([1-9][0-9]{5})((18|19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01]))([0-9]{3}[0-9Xx])($|[^0-9])',
                            '\1\2********\7\8', 'g');
        EXIT WHEN s = prev;
    END LOOP;
    FOR i IN 1..4 LOOP
        prev := s;
        s := regexp_replace(s, '(^|[^0-9])((\+?86[ -]?)?1[3-9][0-9])[ -]?([0-9]{4})[ -]?([0-9]{4})($|[^0-9])', '\1\2****\5\6', 'g');
        EXIT WHEN s = prev;
    END LOOP;
    FOR i IN 1..4 LOOP
        prev := s;
        s := regexp_replace(s, '(^|[^0-9])(0[1-9][0-9]{2})([ -]?)([0-9]{4})([0-9]{4})($|[^0-9])', '\1\2\3****\5\6', 'g');
        s := regexp_replace(s, '(^|[^0-9])(0[1-9][0-9]{2})([ -]?)([0-9]{3})([0-9]{4})($|[^0-9])', '\1\2\3***\5\6', 'g');
        s := regexp_replace(s, '(^|[^0-9])(0[1-9][0-9])([ -]?)([0-9]{4})([0-9]{4})($|[^0-9])', '\1\2\3****\5\6', 'g');
        s := regexp_replace(s, '(^|[^0-9])(0[1-9][0-9])([ -]?)([0-9]{3})([0-9]{4})($|[^0-9])', '\1\2\3***\5\6', 'g');
        EXIT WHEN s = prev;
    END LOOP;
    s := regexp_replace(s, '([A-Za-z0-9._%+-])([A-Za-z0-9._%+-]*)@([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})', '\1***@\3', 'g');
    FOR i IN 1..4 LOOP
        prev := s;
        s := regexp_replace(s, '([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领][A-HJ-NP-Z])([·• ]?)([A-HJ-NP-Z0-9]{4})([A-HJ-NP-Z0-9]{2})([^A-HJ-NP-Z0-9]|$)', '\1\2****\4\5', 'g');
        s := regexp_replace(s, '([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领][A-HJ-NP-Z])([·• ]?)([A-HJ-NP-Z0-9]{3})([A-HJ-NP-Z0-9]{2})([^A-HJ-NP-Z0-9]|$)', '\1\2***\4\5', 'g');
        EXIT WHEN s = prev;
    END LOOP;
    RETURN s;
END
$$;

---- create above / drop below ----

DROP FUNCTION mask_personal(text);
