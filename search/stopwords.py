"""Polish stop words: function words that carry no topic (after Lucene's Polish list).

Content words from that list ("lat", "roku", "pan", "sposób") are kept: people search them.
"""

STOPWORDS = frozenset(
    """
    a aby ach acz aczkolwiek aj albo ale ależ ani aż bardziej bardzo bo bowiem by byli
    bynajmniej być był była było były będzie będą cali cała cały ci cię ciebie co cokolwiek
    coś czasami czasem czemu czy czyli dla dlaczego dlatego do dokąd dość dużo dziś dzisiaj
    gdy gdyby gdyż gdzie gdziekolwiek gdzieś i ich ile im inna inne inny innych iż ja ją jak
    jakaś jakby jaki jakichś jakie jakiś jakiż jakkolwiek jako jakoś je jednak jednakże jego
    jej jemu jest jestem jeszcze jeśli jeżeli już każdy kiedy kilka kimś kto ktokolwiek ktoś
    która które którego której który których którym którzy ku lecz lub ma mają mało mam mi
    mimo między mną mnie mogą moi moim moja moje może można mój mu musi my na nad nam nami nas
    nasi nasz nasza nasze naszego naszych natomiast nawet nią nic nich nie niech niego niej
    niemu nigdy nim nimi niż no o obok od około on ona one oni ono oraz oto owszem po pod
    podczas pomimo ponad ponieważ powinien powinna powinni powinno poza prawie przecież przed
    przede przedtem przez przy również sam sama są się skąd sobie sobą swoje ta tak taka taki
    takie także tam te tego tej temu ten teraz też to tobą tobie toteż trzeba tu tutaj twoi
    twoim twoja twoje twym twój ty tych tylko tym u w wam wami was wasz wasza wasze we według
    wiele wielu więc więcej wszyscy wszystkich wszystkie wszystkim wszystko wtedy wy właśnie
    z za zapewne zawsze ze znowu znów został żaden żadna żadne żadnych że żeby
    """.split()
)
