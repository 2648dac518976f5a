"""Display-name and class-name pools for Korean (ko) and English (en) schools.

Names are drawn independently, so duplicates within a school happen, as they do in real
schools; reports must tell students apart by id, not by name.
"""

from __future__ import annotations

import numpy as np

# Most common Korean surnames with their approximate population shares (census order).
KOREAN_SURNAMES: tuple[tuple[str, float], ...] = (
    ("김", 21.5), ("이", 14.7), ("박", 8.4), ("최", 4.7), ("정", 4.3), ("강", 2.3),
    ("조", 2.1), ("윤", 2.1), ("장", 2.0), ("임", 1.7), ("한", 1.5), ("오", 1.5),
    ("서", 1.5), ("신", 1.4), ("권", 1.4), ("황", 1.4), ("안", 1.3), ("송", 1.3),
    ("류", 1.2), ("전", 1.1), ("홍", 1.1), ("고", 0.9), ("문", 0.9), ("양", 0.8),
    ("손", 0.8), ("배", 0.8), ("백", 0.7), ("허", 0.7), ("유", 0.6), ("남", 0.6),
)

KOREAN_GIVEN_NAMES: tuple[str, ...] = (
    "민준", "서준", "도윤", "예준", "시우", "하준", "주원", "지호", "지후", "준우",
    "현우", "건우", "우진", "선우", "민재", "유준", "연우", "정우", "승현", "승우",
    "시윤", "준서", "유찬", "지훈", "도현", "은우", "태윤", "민성", "재윤", "한결",
    "서연", "서윤", "지우", "서현", "민서", "하은", "하윤", "윤서", "지유", "지민",
    "채원", "수아", "지아", "다은", "은서", "예은", "수빈", "소율", "예린", "하린",
    "수민", "지윤", "다인", "예서", "아린", "가은", "유나", "채은", "서영", "나은",
)

ENGLISH_FIRST_NAMES: tuple[str, ...] = (
    "Liam", "Noah", "Oliver", "Elijah", "James", "William", "Benjamin", "Lucas", "Henry",
    "Theodore", "Jack", "Levi", "Alexander", "Jackson", "Mateo", "Daniel", "Michael",
    "Mason", "Sebastian", "Ethan", "Logan", "Owen", "Samuel", "Jacob", "Asher", "Aiden",
    "John", "Joseph", "Wyatt", "David", "Olivia", "Emma", "Charlotte", "Amelia", "Sophia",
    "Mia", "Isabella", "Ava", "Evelyn", "Luna", "Harper", "Camila", "Sofia", "Scarlett",
    "Elizabeth", "Eleanor", "Emily", "Chloe", "Mila", "Violet", "Penelope", "Gianna",
    "Aria", "Abigail", "Ella", "Avery", "Hazel", "Nora", "Layla", "Lily", "Aisha", "Priya",
    "Wei", "Hiroshi", "Kwame", "Fatima", "Diego", "Zoe", "Malik", "Grace",
)

ENGLISH_LAST_NAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson",
    "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
    "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
    "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green",
    "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter",
    "Roberts", "Chen", "Kim", "Patel", "Okafor", "O'Brien", "Cohen", "Murphy", "Rossi",
)

# Korean middle and high schools have three grades; the English demo school is a middle
# school, grades 6-8.
GRADES = 3
FIRST_ENGLISH_GRADE = 6
CLASS_LETTERS = "ABCDEFGHIJKL"


def display_names(rng: np.random.Generator, locale: str, n: int) -> np.ndarray:
    """n random full names: "김민준" (surname first, no space) or "Olivia Chen"."""
    if locale == "ko":
        surnames = np.array([name for name, _ in KOREAN_SURNAMES], dtype=object)
        shares = np.array([share for _, share in KOREAN_SURNAMES])
        family = rng.choice(surnames, size=n, p=shares / shares.sum())
        given = rng.choice(np.array(KOREAN_GIVEN_NAMES, dtype=object), size=n)
        return family + given
    first = rng.choice(np.array(ENGLISH_FIRST_NAMES, dtype=object), size=n)
    last = rng.choice(np.array(ENGLISH_LAST_NAMES, dtype=object), size=n)
    return first + " " + last


def class_names(locale: str, n_classes: int) -> np.ndarray:
    """n_classes class names spread over the grades: "2학년 3반" or "Grade 8 - C"."""
    per_grade = -(-n_classes // GRADES)
    if per_grade > len(CLASS_LETTERS):
        raise ValueError(f"at most {GRADES * len(CLASS_LETTERS)} classes, got {n_classes}")
    grade, section = np.divmod(np.arange(n_classes), per_grade)
    if locale == "ko":
        names = [f"{g + 1}학년 {s + 1}반" for g, s in zip(grade, section)]
    else:
        names = [f"Grade {g + FIRST_ENGLISH_GRADE} - {CLASS_LETTERS[s]}" for g, s in zip(grade, section)]
    return np.array(names, dtype=object)
